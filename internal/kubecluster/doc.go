// Package kubecluster starts a real one-node Kubernetes cluster on this
// machine for tests: etcd, kube-apiserver, kube-controller-manager, a
// kubelet and a containerd of its own, all listening on 127.0.0.1 only,
// with their state in a fresh directory under the temporary directory.
//
// Everything but this comment is built only with the build tag k8s, so
// that the usual go test ./... links no Kubernetes code. make test-k8s
// installs the Debian packages (etcd-server, containerd, runc,
// containernetworking-plugins), builds or reuses the Kubernetes binaries
// under .cache/k8s/VERSION/ (the release is in the file VERSION beside this
// one) and runs go test -tags k8s.
//
// The API:
//
//	c, err := kubecluster.Start(ctx, kubecluster.Options{CacheDir: ".cache"})
//	// Start returns once the node is Ready.
//	defer c.Stop() // kills every process it started, containers too;
//	               // unmounts, removes its state; idempotent
//	c.AdminKubeconfig  // path of a cluster-admin kubeconfig
//	c.NodeName         // the only node's name
//	c.ImportImage(ctx, "image.tar")  // an OCI or docker archive into the
//	                                 // node's containerd (k8s.io namespace)
//	path, err := c.ServiceAccountKubeconfig(ctx, namespace, account)
//	// a kubeconfig whose credential is a token of that (existing)
//	// ServiceAccount, from the TokenRequest API
//
// Pods must use images that were imported (imagePullPolicy Never or
// IfNotPresent): the node pulls nothing. No scheduler runs: a pod names its
// node in spec.nodeName. The controller manager runs, so namespaces get their
// default ServiceAccount and kube-root-ca.crt, and deleted namespaces empty.
//
// A test binary that is killed leaves processes and state behind only
// until the next Start, which sweeps what an earlier Start of a process
// that no longer runs created (its directories carry a marker), and nothing
// else. StopAll stops every cluster this process started: call it from a
// signal handler in TestMain.
package kubecluster
