// Package doclinks holds a test, and nothing else, that keeps the
// repository's markdown links working: every relative link of every *.md
// file must name a file or folder of the repository, and its #anchor, if
// any, a heading of the target markdown file (by GitHub's slug rule).
// Links to http(s) and mailto addresses are not followed. It runs under
// `go test ./...` and `go test -short ./...` and needs no network.
package doclinks
