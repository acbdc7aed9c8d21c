package fleet

import (
	"context"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// acquireLease takes the node's Lease for o's run: it creates it, or
// takes over one whose holder stopped renewing it; while another run
// holds it, it waits (telling waiting who). It renews the lease until
// release is called, which deletes it.
func acquireLease(ctx context.Context, o Options, node string, poll time.Duration, waiting func(holder string)) (release func() bool, err error) {
	leases := o.Client.CoordinationV1().Leases(o.Namespace)
	name := leaseName(node)
	for {
		now := metav1.NowMicro()
		want := lease(o.RunID, o.Namespace, node, leaseSeconds, now)
		cur, err := leases.Get(ctx, name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			_, err = leases.Create(ctx, want, metav1.CreateOptions{})
			if err == nil {
				return renew(o, name), nil
			}
			if !apierrors.IsAlreadyExists(err) {
				return nil, fmt.Errorf("taking the node's lease: %w", err)
			}
		case err != nil:
			return nil, fmt.Errorf("reading the node's lease: %w", err)
		case expired(cur.Spec.RenewTime, cur.Spec.LeaseDurationSeconds, now.Time):
			want.ResourceVersion = cur.ResourceVersion
			if _, err = leases.Update(ctx, want, metav1.UpdateOptions{}); err == nil {
				return renew(o, name), nil
			}
			if !apierrors.IsConflict(err) {
				return nil, fmt.Errorf("taking over the node's expired lease: %w", err)
			}
		default:
			holder := "?"
			if cur.Spec.HolderIdentity != nil {
				holder = *cur.Spec.HolderIdentity
			}
			waiting(holder)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(poll):
		}
	}
}

func expired(renew *metav1.MicroTime, seconds *int32, now time.Time) bool {
	if renew == nil || seconds == nil {
		return true
	}
	return now.After(renew.Add(time.Duration(*seconds) * time.Second))
}

// renew renews the lease name of o's run every third of its duration
// until the returned release is called, which stops and deletes it and
// says whether it did.
func renew(o Options, name string) func() bool {
	leases := o.Client.CoordinationV1().Leases(o.Namespace)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			case <-time.After(leaseSeconds * time.Second / 3):
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			if cur, err := leases.Get(ctx, name, metav1.GetOptions{}); err == nil && cur.Spec.HolderIdentity != nil && *cur.Spec.HolderIdentity == o.RunID {
				now := metav1.NowMicro()
				cur.Spec.RenewTime = &now
				leases.Update(ctx, cur, metav1.UpdateOptions{})
			}
			cancel()
		}
	}()
	return func() bool {
		close(stop)
		<-done
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if cur, err := leases.Get(ctx, name, metav1.GetOptions{}); err == nil && cur.Spec.HolderIdentity != nil && *cur.Spec.HolderIdentity == o.RunID {
			return leases.Delete(ctx, name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{ResourceVersion: &cur.ResourceVersion}}) == nil
		}
		return false
	}
}
