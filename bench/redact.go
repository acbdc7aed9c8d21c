package bench

import (
	"reflect"

	"github.com/benchctl/benchctl/bench/results"
)

// A secret given with --set (or in the environment, under a secret's
// name) reaches more than the provenance: ${VAR} puts it in a tracer's
// or a command's arguments, which may print it, and what they print goes
// into run errors, tracer output, the run's reason, notes on stderr,
// the returned error and the reports made from the results. The Runner
// redacts all of it: every string of the results before they are
// written or returned (redactResults), every note (redactingObserver)
// and its errors (redactedError).

var stringType = reflect.TypeFor[string]()

// redactResults replaces the secrets in every string of res (struct
// fields, slices, map keys and values), in place. Named string types are
// left alone: they are enums (modes, steps), never free text.
func (r redactor) redactResults(res *results.Results) {
	if len(r.values) > 0 && res != nil {
		r.walk(reflect.ValueOf(res).Elem())
	}
}

// redactRun is redactResults for one run.
func (r redactor) redactRun(run *results.Run) {
	if len(r.values) > 0 && run != nil {
		r.walk(reflect.ValueOf(run).Elem())
	}
}

func (r redactor) walk(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			r.walk(v.Elem())
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				r.walk(v.Field(i))
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			r.walk(v.Index(i))
		}
	case reflect.Map:
		if v.IsNil() {
			return
		}
		keys := v.MapKeys()
		for _, k := range keys {
			val := reflect.New(v.Type().Elem()).Elem()
			val.Set(v.MapIndex(k))
			r.walk(val)
			nk := k
			if k.Type() == stringType {
				nk = reflect.ValueOf(r.value(k.String()))
				if nk.String() != k.String() {
					v.SetMapIndex(k, reflect.Value{})
				}
			}
			v.SetMapIndex(nk, val)
		}
	case reflect.String:
		if v.Type() == stringType && v.CanSet() {
			if s := r.value(v.String()); s != v.String() {
				v.SetString(s)
			}
		}
	}
}

// redactedError is err with the secrets out of its message; errors.Is
// and errors.As still see err.
type redactedError struct {
	err error
	red redactor
}

func (e *redactedError) Error() string { return e.red.value(e.err.Error()) }
func (e *redactedError) Unwrap() error { return e.err }

// redactErr returns err with the secrets out of its message.
func (r redactor) redactErr(err error) error {
	if err == nil || len(r.values) == 0 {
		return err
	}
	return &redactedError{err: err, red: r}
}

// redactingObserver passes on what o hears, the secrets out of the
// notes. Runs come redacted already.
type redactingObserver struct {
	Observer
	red redactor
}

func (o redactingObserver) Note(msg string) { o.Observer.Note(o.red.value(msg)) }
