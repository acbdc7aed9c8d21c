// Package novars holds one test: no package-level variable of the
// project is written outside its declaration and the init functions of
// its package (assigned, incremented, deleted from, cleared, or handed
// out by address). Settings travel as values (options structs, method
// arguments), so two runs or comparisons in one process cannot differ by
// accident, and a test that sets one cannot leak into the next.
package novars
