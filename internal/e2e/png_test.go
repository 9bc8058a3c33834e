package e2e

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"testing"
)

// blankPNG is a white picture with no QR code in it.
func blankPNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 200, 200))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	img.Set(10, 10, color.Black)
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
