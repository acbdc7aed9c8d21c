package record

import "testing"

func TestProgramRole(t *testing.T) {
	for name, want := range map[string]string{
		"sys_enter": RoleEnter, "floor_enter": RoleEnter, "sys_exit": RoleExit, "floor_exit": RoleExit,
		"toctou_openat": RoleOther, "sys_exit_openat": RoleOther,
	} {
		if got := ProgramRole(name); got != want {
			t.Errorf("ProgramRole(%q) = %q, want %q", name, got, want)
		}
	}
}
