// Package multifile renders reports over several results files side by
// side: the multi-file report of `benchctl report A.json B.json ...`
// (environments, every variant's headline figures and every enter_exit →
// exit_only change per file, the differences from the first file
// marked; Render) and the kernel matrix of `benchctl matrix` (per variant
// and kernel: loaded or refused, overhead, largest programs; Matrix).
//
// Like a single file's report (package reports, whose formats and
// options it takes) it reads only results files, and it is spelled with
// reports/page. Output is tested against golden files (go test
// ./reports/multifile -update rewrites them).
package multifile
