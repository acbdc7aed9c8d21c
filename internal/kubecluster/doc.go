// Package kubecluster starts a real one-node Kubernetes cluster on this
// machine for tests: etcd, kube-apiserver, kube-controller-manager, a
// kubelet and a containerd of its own, all listening on 127.0.0.1 only,
// with their state in a fresh directory under the temporary directory.
//
// Everything but this comment is built only with the build tag k8s, so
// that the usual go test ./... links no Kubernetes code. make test-k8s
// installs the Debian packages (etcd-server, containerd, runc,
// containernetworking-plugins and the rest of the Makefile's K8S_PKGS),
// builds or reuses the Kubernetes binaries
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
//	c.LogTail("kubelet", 40) // a component's last log lines, for a failing test
//	kubecluster.WriteImage(path, name, entrypoint, files) // a one-layer OCI archive
//	kubecluster.Version() // "v1.37.2": use client-go v0.37.2
//
// Options: CacheDir (default: the checkout's .cache), Parent (where the state
// directory goes; default $TMPDIR), Timeout (of each wait of Start; default
// 3 minutes), Logf (progress, e.g. t.Logf).
//
// The node is named and addressed 127.0.0.1; every daemon listens on
// 127.0.0.1 only, on free ports, so clusters of several tests or checkouts
// can run at once.
//
// Pods must use images that were imported (imagePullPolicy Never or
// IfNotPresent): the node pulls nothing. No scheduler runs: a pod names its
// node in spec.nodeName. The controller manager runs, so namespaces get their
// default ServiceAccount and kube-root-ca.crt, and deleted namespaces empty.
//
// A test binary that is killed leaves processes and state behind only
// until the next Start, which sweeps what an earlier Start of a process
// that no longer runs created (its directories carry a marker), and nothing
// else. A Clusters value given to Start (Options.Track) holds the
// clusters a process started; its StopAll stops them: call it from a
// signal handler in TestMain (internal/kubecluster's own TestMain and
// fleet's do), so that a Ctrl-C leaves nothing behind either. Tests that need a cluster
// are built with the tag k8s and named TestK8s...: make test-k8s runs
// those of every package.
package kubecluster
