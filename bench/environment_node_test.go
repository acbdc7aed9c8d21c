package bench

import "testing"

// TestFleetNode: BENCHCTL_FLEET_NODE becomes environment.node when it is
// a node with a name; anything else records no node and fails nothing.
func TestFleetNode(t *testing.T) {
	for _, v := range []string{"", "{", `{"kernel":"6.1"}`, "null"} {
		if n := fleetNode(v); n != nil {
			t.Errorf("fleetNode(%q) = %+v, want nil", v, n)
		}
	}
	n := fleetNode(`{"name":"worker-1","kernel":"6.1.0","zone":"a","instance_type":"m5","pod":"p","image":"i"}`)
	if n == nil || n.Name != "worker-1" || n.Kernel != "6.1.0" || n.Zone != "a" || n.InstanceType != "m5" || n.Pod != "p" || n.Image != "i" {
		t.Errorf("fleetNode: %+v", n)
	}
}
