package code

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg" // DecodeQRPNG also reads photos, which phones save as JPEG.
	"image/png"

	"github.com/makiuchi-d/gozxing"
	multiqr "github.com/makiuchi-d/gozxing/multi/qrcode"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"
	"github.com/makiuchi-d/gozxing/qrcode/detector"
	qrcode "github.com/skip2/go-qrcode"
	xdraw "golang.org/x/image/draw"
)

// ErrNotQR means an uploaded image could not be read or holds no QR code.
var ErrNotQR = errors.New("图片中未识别到二维码")

const (
	// maxQRSize bounds QRPNG's image side in pixels, so a size taken from a
	// request cannot make the server allocate gigabytes.
	maxQRSize = 4096
	// maxImageBytes and maxImagePixels bound DecodeQRPNG's memory and time:
	// a small PNG can declare a huge canvas (a decompression bomb), so the
	// header is checked before any pixel is decoded. 16 megapixels covers a
	// 12-megapixel phone photo and any screenshot, and keeps one decode
	// under about 100 MB.
	maxImageBytes  = 20 << 20
	maxImagePixels = 16_000_000
)

// QRPNG renders text as a PNG QR code of size×size pixels with recovery level
// Medium (15 %), which survives a scuffed or partly covered screen without
// making the symbol much denser. A negative size means -size pixels per
// module. If size is too small for the symbol, the image is larger than
// asked, as with go-qrcode.
//
// go-qrcode encodes the symbol, but the pixels are drawn here: go-qrcode
// scales the symbol to exactly size pixels, so when size is not a multiple of
// the module count its modules are unevenly 3 or 4 (say) pixels wide, and
// gozxing then misreads a large share of them (with PURE_BARCODE it fails on
// every such image). Here every module is the same whole number of pixels and
// the rest of the image is extra white margin, which scanners read reliably.
func QRPNG(text string, size int) ([]byte, error) {
	if size > maxQRSize || size < -maxQRSize/64 {
		return nil, fmt.Errorf("code: 二维码尺寸 %d 超出范围", size)
	}
	q, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		return nil, fmt.Errorf("code: 生成二维码失败: %w", err)
	}
	bits := q.Bitmap() // includes the 4-module quiet zone
	modules := len(bits)
	scale := -size
	if size >= 0 {
		scale = size / modules
	}
	scale = max(scale, 1)
	side := max(size, modules*scale)
	margin := (side - modules*scale) / 2

	// A two-colour paletted image compresses to a small PNG.
	img := image.NewPaletted(image.Rect(0, 0, side, side), color.Palette{color.White, color.Black})
	for y, row := range bits {
		for x, dark := range row {
			if !dark {
				continue
			}
			for py := margin + y*scale; py < margin+(y+1)*scale; py++ {
				off := img.PixOffset(margin+x*scale, py)
				for i := range scale {
					img.Pix[off+i] = 1
				}
			}
		}
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("code: 生成二维码失败: %w", err)
	}
	return buf.Bytes(), nil
}

// QRTerminal renders text as a QR code of half-height block characters for
// drawing in a terminal (dark modules on a light background). It returns ""
// if the text does not fit into a QR code.
func QRTerminal(text string) string {
	q, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		return ""
	}
	return q.ToSmallString(false)
}

// DecodeQRPNG decodes a PNG or JPEG image holding one QR code and returns its
// text. It first tries the PURE_BARCODE mode, which reads a clean rendered
// image such as QRPNG's (the general finder-pattern detector misses about 5 %
// of those), then falls back to TRY_HARDER without it for photos and
// screenshots. The error wraps ErrNotQR if the bytes are not an image, are
// larger than 20 MiB or 16 megapixels, or hold no QR code. It never panics and
// its work is bounded, since the bytes come from users.
func DecodeQRPNG(img []byte) (string, error) {
	if len(img) == 0 {
		return "", fmt.Errorf("%w：图片为空", ErrNotQR)
	}
	if len(img) > maxImageBytes {
		return "", fmt.Errorf("%w：图片过大（%d 字节）", ErrNotQR, len(img))
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(img))
	if err != nil {
		return "", fmt.Errorf("%w：无法识别图片格式（仅支持 PNG 和 JPEG）", ErrNotQR)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width*cfg.Height > maxImagePixels {
		return "", fmt.Errorf("%w：图片尺寸 %d×%d 过大或无效", ErrNotQR, cfg.Width, cfg.Height)
	}
	m, _, err := image.Decode(bytes.NewReader(img))
	if err != nil {
		return "", fmt.Errorf("%w：图片已损坏", ErrNotQR)
	}
	text, err := decodeQR(m)
	if err != nil {
		return "", ErrNotQR
	}
	return text, nil
}

// maxFinderCandidates caps the finder-pattern candidates gozxing's detector
// may collect. It compares every triple of candidates, so an image tiled
// with finder-like squares (a 2 KB PNG of 500×500 pixels holds ~4000) keeps
// it busy for minutes. A real code has 3 finder patterns and a photo adds a
// few false ones; far more than 128 means the image is not a QR code.
const maxFinderCandidates = 128

// maxMultiCandidates caps them for the multi-code detector, the last
// resort: it samples and tries to decode every plausible triple, so its
// work grows as the cube of the candidates, each triple costing a decode.
// The posters it exists for show 4 or 5 (the three real ones and a title
// character or two); an image with more is left unread.
const maxMultiCandidates = 12

// errTooManyCandidates is panicked from the detector's callback to abandon
// the search; decodeQR recovers it.
var errTooManyCandidates = errors.New("too many finder pattern candidates")

var pureHints = map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_PURE_BARCODE: true}

// decodeQR runs gozxing on an image: first PURE_BARCODE, which reads a clean
// rendered code directly, then the general detector with TRY_HARDER, on the
// image and on smaller copies of it.
//
// The general detector offers no way to bound its work, only a callback for
// each candidate point, so the callback aborts with a panic once there are
// too many candidates, which ends the whole decoding: an image that floods
// the detector at one scale is not retried at others. The recover also catches any other panic from the
// Java port: images come from users, and one bad upload must not take the
// server down.
func decodeQR(m image.Image) (text string, err error) {
	defer func() {
		if p := recover(); p != nil {
			if p == errTooManyCandidates {
				err = errTooManyCandidates
				return
			}
			err = fmt.Errorf("gozxing panicked: %v", p)
		}
	}()
	bmp, err := gozxing.NewBinaryBitmapFromImage(m)
	if err != nil {
		return "", err
	}
	reader := zxqr.NewQRCodeReader()
	if res, err := reader.Decode(bmp, pureHints); err == nil {
		return res.GetText(), nil
	}
	// The general detector misjudges the module grid of about 3 in 100
	// clean, upright codes on a printed page (a poster at 150 dpi): the
	// finder patterns are found, the format or the dimension is then read
	// wrong. The same page scaled down reads; each of the failures seen
	// read at one of these scales.
	//
	// About 1 poster in 500 fails at all of them: a large title character
	// on the poster looks like a finder pattern, and the general detector
	// keeps only its three best candidates. The multi-code detector tries
	// every plausible triple, so it is the last resort on the full image.
	for _, percent := range []int{100, 90, 60, 50} {
		img := m
		if percent < 100 {
			b := m.Bounds()
			scaled := image.NewGray(image.Rect(0, 0, b.Dx()*percent/100, b.Dy()*percent/100))
			xdraw.ApproxBiLinear.Scale(scaled, scaled.Bounds(), m, b, xdraw.Src, nil)
			img = scaled
		}
		if text, err = detectQR(reader, img); err == nil {
			return text, nil
		}
	}
	return detectAnyQR(m)
}

// detectQR runs gozxing's general detector with TRY_HARDER on img, and
// abandons the search once the candidates are too many.
func detectQR(reader gozxing.Reader, img image.Image) (string, error) {
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return "", err
	}
	res, err := reader.Decode(bmp, boundedHints(maxFinderCandidates))
	if err != nil {
		return "", err
	}
	return res.GetText(), nil
}

// detectAnyQR runs the multi-code detector on img and returns the first
// code it reads, giving up past maxMultiCandidates finder candidates.
func detectAnyQR(img image.Image) (string, error) {
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return "", err
	}
	res, err := multiqr.NewQRCodeMultiReader().DecodeMultiple(bmp, boundedHints(maxMultiCandidates))
	if err != nil {
		return "", err
	}
	if len(res) == 0 {
		return "", ErrNotQR
	}
	return res[0].GetText(), nil
}

// boundedHints asks for TRY_HARDER and counts finder-pattern candidates,
// panicking with errTooManyCandidates past limit.
func boundedHints(limit int) map[gozxing.DecodeHintType]any {
	candidates := 0
	return map[gozxing.DecodeHintType]any{
		gozxing.DecodeHintType_TRY_HARDER: true,
		gozxing.DecodeHintType_NEED_RESULT_POINT_CALLBACK: gozxing.ResultPointCallback(func(p gozxing.ResultPoint) {
			// Alignment patterns are reported too; only finder patterns
			// feed the cubic search.
			if _, ok := p.(*detector.FinderPattern); !ok {
				return
			}
			if candidates++; candidates > limit {
				panic(errTooManyCandidates)
			}
		}),
	}
}
