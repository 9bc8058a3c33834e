package serve

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

type recvDir struct {
	ruqiv1.UnimplementedDirectoryServiceServer
	parts int
}

func (d *recvDir) ImportDirectoryStream(s ruqiv1.DirectoryService_ImportDirectoryStreamServer) error {
	for {
		_, err := s.Recv()
		if errors.Is(err, io.EOF) {
			return s.SendAndClose(&ruqiv1.ImportDirectoryStreamResponse{})
		}
		if err != nil {
			return err
		}
		d.parts++
	}
}

// A client stream's part that is not UTF-8 is refused in words, and the
// parts before it pass (a review, 2026-12-06).
func TestRequestCodec_ClientStream_BadPartRefusedInWords(t *testing.T) {
	d := &recvDir{}
	gs := grpc.NewServer(grpc.ForceServerCodecV2(newRequestCodec()),
		grpc.ChainUnaryInterceptor(refuseNotUTF8Unary), grpc.ChainStreamInterceptor(refuseNotUTF8Stream))
	ruqiv1.RegisterDirectoryServiceServer(gs, d)
	lis, _ := net.Listen("tcp", "127.0.0.1:0")
	go func() { _ = gs.Serve(lis) }()
	defer gs.Stop()
	cc, _ := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	defer cc.Close()
	good, _ := proto.Marshal(&ruqiv1.ImportDirectoryStreamRequest{Part: &ruqiv1.Directory{Agencies: []*ruqiv1.Agency{{Id: "AG-01", Name: "市场监管局"}}}})
	// part { agencies { name: <bad> } }
	ag := protowire.AppendString(protowire.AppendTag(nil, 2, protowire.BytesType), string([]byte{0xff, 'x'}))
	dir := protowire.AppendBytes(protowire.AppendTag(nil, 3, protowire.BytesType), ag) // Directory.agencies = 3
	bad := protowire.AppendBytes(protowire.AppendTag(nil, 1, protowire.BytesType), dir)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := cc.NewStream(ctx, &grpc.StreamDesc{ClientStreams: true}, "/ruqi.v1.DirectoryService/ImportDirectoryStream", grpc.ForceCodec(rawCodec{}))
	if err != nil {
		t.Fatal(err)
	}
	_ = s.SendMsg(&good)
	_ = s.SendMsg(&bad)
	_ = s.CloseSend()
	var out []byte
	err = s.RecvMsg(&out)
	if status.Code(err) != codes.InvalidArgument || d.parts != 1 || !strings.Contains(status.Convert(err).Message(), "UTF-8 编码") {
		t.Errorf("client stream: %v, parts %d", err, d.parts)
	}
}

// rawCodec sends bytes as they are: what no Go client would marshal.
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) { return *(v.(*[]byte)), nil }
func (rawCodec) Unmarshal(b []byte, v any) error {
	*(v.(*[]byte)) = append([]byte(nil), b...)
	return nil
}
func (rawCodec) Name() string { return "proto" }

func (d *recvDir) ListCheckItems(context.Context, *ruqiv1.ListCheckItemsRequest) (*ruqiv1.ListCheckItemsResponse, error) {
	d.parts++
	return &ruqiv1.ListCheckItemsResponse{}, nil
}

// A request that is not a protobuf message at all (a truncated field, a
// tag of field number 0) is the client's mistake as a text that is not
// UTF-8 is: a red-team trial (2026-12-06) sent three 0xff bytes to
// GetDraw, which takes no token, and was answered INTERNAL "grpc: failed
// to unmarshal the received message: proto: cannot parse invalid
// wire-format data", in English and as the server's own fault.
func TestRequestCodec_NotAMessage_RefusedInWords(t *testing.T) {
	d := &recvDir{}
	gs := grpc.NewServer(grpc.ForceServerCodecV2(newRequestCodec()),
		grpc.ChainUnaryInterceptor(refuseNotUTF8Unary), grpc.ChainStreamInterceptor(refuseNotUTF8Stream))
	ruqiv1.RegisterDirectoryServiceServer(gs, d)
	lis, _ := net.Listen("tcp", "127.0.0.1:0")
	go func() { _ = gs.Serve(lis) }()
	defer gs.Stop()
	cc, _ := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	defer cc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	truncated := protowire.AppendTag(nil, 1, protowire.BytesType) // agency_id, its length missing
	for name, body := range map[string][]byte{"0xff 0xff 0xff": {0xff, 0xff, 0xff}, "a field's length missing": truncated, "field number 0": {0x00, 0x01}} {
		var out []byte
		err := cc.Invoke(ctx, "/ruqi.v1.DirectoryService/ListCheckItems", &body, &out, grpc.ForceCodec(rawCodec{}))
		st := status.Convert(err)
		if st.Code() != codes.InvalidArgument || !strings.Contains(st.Message(), "无法解析") || strings.Contains(st.Message(), "grpc:") {
			t.Errorf("%s: %v %q, want INVALID_ARGUMENT in words", name, st.Code(), st.Message())
		}
	}
	if d.parts != 0 {
		t.Errorf("the handler ran %d times on requests that are no message", d.parts)
	}
	// The stream's part that is no message is refused likewise.
	s, err := cc.NewStream(ctx, &grpc.StreamDesc{ClientStreams: true}, "/ruqi.v1.DirectoryService/ImportDirectoryStream", grpc.ForceCodec(rawCodec{}))
	if err != nil {
		t.Fatal(err)
	}
	bad := []byte{0xff, 0xff, 0xff}
	_ = s.SendMsg(&bad)
	_ = s.CloseSend()
	var out []byte
	if err := s.RecvMsg(&out); status.Code(err) != codes.InvalidArgument || !strings.Contains(status.Convert(err).Message(), "无法解析") {
		t.Errorf("client stream: %v", err)
	}
}
