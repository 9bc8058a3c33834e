package auth

import (
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// Every RPC of every ruqi service is in the role table: a new RPC without a
// decision about who may call it is a test failure, not an open door.
func TestEveryMethodHasAnEntry(t *testing.T) {
	_ = ruqiv1.File_ruqi_v1_admin_proto // make sure the descriptors are registered
	n := 0
	protoregistry.GlobalFiles.RangeFilesByPackage("ruqi.v1", func(fd protoreflect.FileDescriptor) bool {
		for i := 0; i < fd.Services().Len(); i++ {
			sd := fd.Services().Get(i)
			for j := 0; j < sd.Methods().Len(); j++ {
				m := "/" + string(sd.FullName()) + "/" + string(sd.Methods().Get(j).Name())
				n++
				if _, ok := allowed[m]; !ok && !IsPublic(m) {
					t.Errorf("%s is neither public nor in the role table", m)
				}
			}
		}
		return true
	})
	if n < 25 {
		t.Fatalf("found only %d methods: descriptors not registered?", n)
	}
}

func TestEnterpriseOnlyMethods(t *testing.T) {
	for _, m := range []string{ruqiv1.EnterpriseService_ScanCode_FullMethodName, ruqiv1.EnterpriseService_EvaluateInspection_FullMethodName} {
		for _, r := range []ruqiv1.Role{officer, agencyAdmin, supervisor, admin} {
			if Allowed(m, r) {
				t.Errorf("%s allowed for %s", m, r)
			}
		}
		if !Allowed(m, enterprise) {
			t.Errorf("%s not allowed for enterprises", m)
		}
	}
}
