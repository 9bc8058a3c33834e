// Package sim drives a running ruqi server the way a region's agencies,
// officers and enterprises would over a period: `ruqi simulate` (Run) and the
// load tool (Load, main in internal/sim/loadcmd).
//
// The plan set is a pure function of the directory and the seed (Generate):
// which agency inspects which enterprise, of what type, which plans overlap
// another agency's on purpose (综合查一次), which repeat the same agency's plan
// (duplicates) or go over a frequency cap (无事不扰), and which codes are
// tampered with or shown to the wrong enterprise. Concurrency changes only the
// order in which enterprises are served, never what is asked. The plans are
// made block by block of enterprises (GenerateBlocks), so that a province's
// year is never held whole.
//
// The server's clock is real. A simulated period is therefore simulated as
// its volume, not its dates: every visit happens now. One enterprise's
// successive visits get short, adjacent, non-overlapping windows starting a
// second or more ahead; plans meant to overlap share one window. Caps per
// calendar year apply as in a real year, and the day, week and month
// warnings fire for every second visit of the same enterprise, since all
// visits fall on the same real day.
package sim
