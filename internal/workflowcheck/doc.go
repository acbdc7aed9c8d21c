// Package workflowcheck checks the shipped pull-request gate,
// .github/workflows/overhead.yml: that the base grades the head, and
// that the head's code cannot run in the job that compares (Check).
package workflowcheck
