package web

import (
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"
)

// Charts are SVG drawn on the server: the geometry is computed here and the
// template writes the elements, so that every label goes through
// html/template's escaping and the page needs no script or chart library.

// barChart is a horizontal bar chart of a report's rows: this period and
// the same period a year earlier, one pair of bars per row.
type barChart struct {
	Width, Height int
	Title         string
	LabelX        float64 // right edge of the labels
	Bars          []hbar
	Ticks         []tick
	AxisY         float64
}

type hbar struct {
	Label, Full         string
	TextY               float64
	CurY, CurW, CurH    float64
	PrevY, PrevW, PrevH float64
	Value               string
	ValueX              float64
	CurTitle, PrevTitle string
	X                   float64
}

type tick struct {
	X, Y  float64
	Label string
}

// maxChartRows keeps the bar chart readable; the table has every row.
const maxChartRows = 15

type chartRow struct {
	Label     string
	Cur, Prev int64
}

func newBarChart(title string, rows []chartRow) *barChart {
	if len(rows) > maxChartRows {
		rows = rows[:maxChartRows]
	}
	const (
		width  = 640
		labelW = 170.0
		rightW = 56.0
		rowH   = 28.0
		top    = 8.0
	)
	var max int64
	for _, r := range rows {
		max = max64(max, max64(r.Cur, r.Prev))
	}
	scale := niceCeil(max)
	plotW := width - labelW - rightW
	c := &barChart{Width: width, Title: title, LabelX: labelW - 6}
	for i, r := range rows {
		y := top + float64(i)*rowH
		b := hbar{Label: shorten(r.Label, 11), Full: r.Label, X: labelW, TextY: y + 14,
			CurY: y + 3, CurH: 13, CurW: round1(plotW * float64(r.Cur) / float64(scale)),
			PrevY: y + 17, PrevH: 6, PrevW: round1(plotW * float64(r.Prev) / float64(scale)),
			Value:     strconv.FormatInt(r.Cur, 10),
			CurTitle:  fmt.Sprintf("%s：本期 %d 次", r.Label, r.Cur),
			PrevTitle: fmt.Sprintf("%s：上年同期 %d 次", r.Label, r.Prev)}
		b.ValueX = labelW + b.CurW + 4
		c.Bars = append(c.Bars, b)
	}
	c.AxisY = top + float64(len(rows))*rowH + 2
	for i := 0; i <= 4; i++ {
		v := scale * int64(i) / 4
		c.Ticks = append(c.Ticks, tick{X: round1(labelW + plotW*float64(i)/4), Y: c.AxisY + 14, Label: strconv.FormatInt(v, 10)})
	}
	c.Height = int(c.AxisY) + 22
	return c
}

// monthChart shows inspections per month as bars and the same months a
// year earlier as a line.
type monthChart struct {
	Width, Height int
	Title         string
	Bars          []vbar
	Line          string // polyline points of the previous year
	Dots          []tick
	Grid          []tick
	Labels        []tick
	PlotL, PlotR  float64
	BaseY         float64
}

type vbar struct {
	X, Y, W, H float64
	Title      string
}

type monthPoint struct {
	Label string // shown under the axis ("" to skip)
	Name  string // for the tooltip, e.g. 2026-03
	Cur   int64
	Prev  int64
}

func newMonthChart(title string, pts []monthPoint) *monthChart {
	const (
		width  = 640
		height = 220
		left   = 44.0
		right  = 10.0
		top    = 10.0
		bottom = 28.0
	)
	var max int64
	for _, p := range pts {
		max = max64(max, max64(p.Cur, p.Prev))
	}
	scale := niceCeil(max)
	plotW, plotH := width-left-right, height-top-bottom
	base := top + plotH
	c := &monthChart{Width: width, Height: height, Title: title, PlotL: left, PlotR: width - right, BaseY: base}
	for i := 0; i <= 4; i++ {
		v := scale * int64(i) / 4
		c.Grid = append(c.Grid, tick{X: left - 6, Y: round1(base - plotH*float64(i)/4), Label: strconv.FormatInt(v, 10)})
	}
	if len(pts) == 0 {
		return c
	}
	slot := plotW / float64(len(pts))
	every := (len(pts) + 11) / 12 // at most about 12 labels
	for i, p := range pts {
		x := left + slot*float64(i)
		h := round1(plotH * float64(p.Cur) / float64(scale))
		c.Bars = append(c.Bars, vbar{X: round1(x + slot*0.2), W: round1(slot * 0.6), Y: round1(base - h), H: h,
			Title: fmt.Sprintf("%s：本期 %d 次，上年同期 %d 次", p.Name, p.Cur, p.Prev)})
		cx, cy := round1(x+slot/2), round1(base-plotH*float64(p.Prev)/float64(scale))
		c.Dots = append(c.Dots, tick{X: cx, Y: cy, Label: fmt.Sprintf("%s 上年同期：%d 次", p.Name, p.Prev)})
		if c.Line != "" {
			c.Line += " "
		}
		c.Line += fmt.Sprintf("%.1f,%.1f", cx, cy)
		if i%every == 0 {
			c.Labels = append(c.Labels, tick{X: cx, Y: base + 18, Label: p.Label})
		}
	}
	return c
}

// niceCeil is the top of an axis with four whole-numbered steps: four
// times a round step (1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 times a power of ten) at or above
// v/4.
func niceCeil(v int64) int64 {
	if v <= 4 {
		return 4
	}
	raw := float64(v) / 4
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10} {
		if step := m * p; step >= raw && step == math.Floor(step) {
			return int64(step) * 4
		}
	}
	return int64(40 * p)
}

func shorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

func max64(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}

func round1(f float64) float64 { return math.Round(f*10) / 10 }
