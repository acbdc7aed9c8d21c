// Package funclen holds one test: no function outside tests in the
// module is longer than 100 lines, tables (a function that returns or
// assigns one composite literal) excepted.
package funclen
