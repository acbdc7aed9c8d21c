// Package fleet runs a scenario on the nodes of a Kubernetes cluster
// (`benchctl fleet run`): per node a privileged pod pinned to it with
// nodeName, one at a time per node under a coordination.k8s.io Lease, the
// scenario in a ConfigMap; the pod runs `benchctl fleet agent`, which runs
// `benchctl run` and prints each checkpoint of its results file into the
// pod's log (protocol.go); fleet reassembles them, checks their SHA-256,
// writes one results file per node and one merged report, and deletes
// every object it created.
//
// It is the only package besides cmd/benchctl that links the Kubernetes
// client.
package fleet
