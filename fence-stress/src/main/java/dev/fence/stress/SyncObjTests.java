package dev.fence.stress;

import static dev.fence.stress.Probes.BAD_HANDLE;
import static dev.fence.stress.Probes.BROKEN;
import static dev.fence.stress.Probes.NOT_SUBMITTED;
import static dev.fence.stress.Probes.RELEASED;
import static dev.fence.stress.Probes.stalled;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.fence.core.Fence;
import dev.fence.core.FenceChain;
import dev.fence.stress.Probes.DriverFence;
import dev.fence.syncfile.BadHandleException;
import dev.fence.syncfile.PointNotSubmittedException;
import dev.fence.syncfile.SyncFile;
import dev.fence.syncfile.SyncObj;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;
import org.openjdk.jcstress.infra.results.II_Result;
import org.openjdk.jcstress.infra.results.JJI_Result;

/**
 * {@link SyncObj}: writers (replaceFence, reset, addPoint) racing lock-free readers (fence(),
 * query()) and waiters (await, onPoint). Claims: a reader gets the old or the new fence with a
 * reference of its own, never a released one; a wait keeps the fence it captured (no lost
 * wake-up when that fence signals after a reset or replace) and a wait for submission sees a
 * submission racing its registration; query() never goes backwards and never reports a point
 * whose fences (or an earlier point's) have not signalled; importing a sync file that is being
 * closed either fails with BadHandleException or installs the fence with a reference of the
 * object's own, never a released one.
 *
 * <p>How to run: {@code java -jar fence-stress/target/jcstress.jar -t SyncObjTests[.SubTestName]}
 */
public final class SyncObjTests {

    /**
     * A wait that should end at once gets this long before it counts as a lost wake-up; one that
     * took half of it was woken by its deadline ({@link Probes#stalled}), which counts too.
     */
    static final long GENEROUS_SECONDS = 10;

    private SyncObjTests() {
    }

    static Fence newFence() {
        return Fence.create(Fence.allocateContexts(1), 1);
    }

    static Fence signalled() {
        Fence f = newFence();
        f.signal();
        return f;
    }

    /* ------------------------------------------------------------------------------------------
     * replaceFence(b) vs fence(), where the object holds a's only reference: the replace drops
     * a to zero. The reader gets a (with its own reference, taken before the drop) or b; the
     * kernel's dma_fence_get_rcu_safe loop, never a released a.
     */

    @JCStressTest
    @Description("replaceFence(b) vs fence() while the object holds a's only reference: a retained, or b.")
    @Outcome(id = "1, 1, 1", expect = ACCEPTABLE, desc = "The reader got a with its own reference (count >= 1); a deallocated once after.")
    @Outcome(id = "2, 1, 1", expect = ACCEPTABLE, desc = "The reader got b (retained); a deallocated once by the replace.")
    @Outcome(id = "5, 1, 1", expect = FORBIDDEN, desc = "The reader got a after the replace released it to zero.")
    @Outcome(expect = FORBIDDEN, desc = "null, a lost or doubled deallocate, or a reference on b leaked or lost.")
    @State
    public static class ReplaceVsFence {
        final DriverFence a = new DriverFence();
        final Fence b = newFence();
        final SyncObj obj = SyncObj.create();

        {
            obj.replaceFence(a);
            a.release(); // the object's reference is a's last
        }

        @Actor
        public void replacer() {
            obj.replaceFence(b);
        }

        @Actor
        public void reader(III_Result r) {
            Fence g = obj.fence();
            if (g == a) {
                r.r1 = a.refCnt() >= 1 ? 1 : RELEASED;
                if (r.r1 == 1) {
                    a.release();
                }
            } else if (g == b) {
                r.r1 = 2;
                b.release();
            } else {
                r.r1 = BROKEN;
            }
        }

        @Arbiter
        public void arbiter(III_Result r) {
            r.r2 = a.deallocateCalls.get();
            r.r3 = b.refCnt() == 2 ? 1 : BROKEN; // the creator's and the object's
        }
    }

    /* ------------------------------------------------------------------------------------------
     * replace vs wait vs reset. The object holds pending a. The writer replaces it with a
     * signalled b, resets the object, then signals a. A waiter (no flags) that captured a keeps
     * waiting for a, which does signal: it must return 0, not time out. One that captured b
     * returns 0 at once; one that found the object empty fails with PointNotSubmittedException.
     * Afterwards every reference the object and the wait took has been given back.
     */

    @JCStressTest
    @Description("replaceFence(b) + reset() + a.signal() vs await(obj): 0 or PointNotSubmittedException, never a timeout; references balanced.")
    @Outcome(id = "0, 11", expect = ACCEPTABLE,
            desc = "The wait captured a or b and returned 0 once it signalled; a and b are back to their creators' single reference.")
    @Outcome(id = "4, 11", expect = ACCEPTABLE,
            desc = "The wait started after reset(): PointNotSubmittedException; references balanced.")
    @Outcome(id = "-1, 11", expect = FORBIDDEN,
            desc = "The wait timed out: it lost the signal of the fence it had captured.")
    @Outcome(expect = FORBIDDEN, desc = "A reference leaked or was over-released, the wait returned only near its deadline (first 9: a lost wake-up), or it failed otherwise.")
    @State
    public static class ReplaceResetVsAwait {
        final Fence a = newFence();
        final Fence b = signalled();
        final SyncObj obj = SyncObj.create();

        {
            obj.replaceFence(a);
        }

        @Actor
        public void writer() {
            obj.replaceFence(b);
            obj.reset();
            a.signal();
        }

        @Actor
        public void waiter(II_Result r) {
            long t0 = System.nanoTime();
            try {
                r.r1 = SyncObj.await(new SyncObj[] {obj}, null, 0, GENEROUS_SECONDS,
                        TimeUnit.SECONDS);
            } catch (PointNotSubmittedException e) {
                r.r1 = NOT_SUBMITTED;
            } catch (InterruptedException e) {
                r.r1 = BROKEN;
            }
            if (stalled(t0, GENEROUS_SECONDS)) {
                r.r1 = BROKEN; // woken by its deadline: a lost wake-up, whatever it returned
            }
        }

        @Arbiter
        public void arbiter(II_Result r) {
            r.r2 = a.refCnt() * 10 + b.refCnt();
        }
    }

    /* ------------------------------------------------------------------------------------------
     * Submission vs WAIT_FOR_SUBMIT. The object starts empty. The writer installs pending a,
     * resets, installs signalled b, then signals a. A waiter for submission captures a (and
     * returns when a signals) or b; whatever the interleaving it returns 0: a submission racing
     * its registration is never missed.
     */

    @JCStressTest
    @Description("replaceFence(a) + reset() + replaceFence(b) + a.signal() vs await(WAIT_FOR_SUBMIT) on an empty object: returns 0.")
    @Outcome(id = "0, 11", expect = ACCEPTABLE,
            desc = "The waiter saw a submission (a or b) and returned 0 once it signalled; references balanced.")
    @Outcome(id = "-1, 11", expect = FORBIDDEN,
            desc = "The waiter timed out: a submission was lost between its check and its registration.")
    @Outcome(expect = FORBIDDEN, desc = "A reference leaked or was over-released, the wait returned only near its deadline (first 9: a lost wake-up), or it failed otherwise.")
    @State
    public static class SubmitVsAwaitForSubmit {
        final Fence a = newFence();
        final Fence b = signalled();
        final SyncObj obj = SyncObj.create();

        @Actor
        public void writer() {
            obj.replaceFence(a);
            obj.reset();
            obj.replaceFence(b);
            a.signal();
        }

        @Actor
        public void waiter(II_Result r) {
            long t0 = System.nanoTime();
            try {
                r.r1 = SyncObj.await(new SyncObj[] {obj}, null, SyncObj.WAIT_FOR_SUBMIT,
                        GENEROUS_SECONDS, TimeUnit.SECONDS);
            } catch (PointNotSubmittedException | InterruptedException e) {
                r.r1 = BROKEN;
            }
            if (stalled(t0, GENEROUS_SECONDS)) {
                r.r1 = BROKEN; // woken by its deadline: a lost wake-up, whatever it returned
            }
        }

        @Arbiter
        public void arbiter(II_Result r) {
            obj.reset();
            r.r2 = a.refCnt() * 10 + b.refCnt();
        }
    }

    /* ------------------------------------------------------------------------------------------
     * A submission's delivery vs the waiter giving up. The object starts empty; a 1 ns
     * await(WAIT_FOR_SUBMIT) registers its entry and times out at once (so both orders of
     * delivery and finish occur often) while replaceFence(a) (a pending) dequeues that entry
     * and hands it a retained `a`, both under the object's lock. The entry's `captured` goes
     * null -> Capture by CAS, and finish() (which first unqueues the entry under that lock) swaps
     * in CLOSED, so a delivery that lands after finish fails its CAS and gives its reference back.
     * Whatever the interleaving the wait times out (a stays pending), and afterwards `a` holds
     * exactly the creator's and the object's references.
     */

    @JCStressTest
    @Description("replaceFence(a) (a pending) vs a 1 ns await(WAIT_FOR_SUBMIT) timing out: the delivery's reference is released whether it lands before or after the waiter's finish.")
    @Outcome(id = "-1, 2", expect = ACCEPTABLE, desc = "Timed out (a is pending); a holds the creator's and the object's references only.")
    @Outcome(expect = FORBIDDEN, desc = "A delivered reference leaked (3) or was released twice, or the wait did not time out.")
    @State
    public static class DeliveryVsTimeout {
        final Fence a = newFence();
        final SyncObj obj = SyncObj.create();

        @Actor
        public void writer() {
            obj.replaceFence(a);
        }

        @Actor
        public void waiter(II_Result r) {
            try {
                r.r1 = SyncObj.await(new SyncObj[] {obj}, null, SyncObj.WAIT_FOR_SUBMIT,
                        1, TimeUnit.NANOSECONDS);
            } catch (PointNotSubmittedException | InterruptedException e) {
                r.r1 = BROKEN;
            }
        }

        @Arbiter
        public void arbiter(II_Result r) {
            r.r2 = a.refCnt();
        }
    }

    /* ------------------------------------------------------------------------------------------
     * Timeline signal vs query. Points 1, 2, 3 hold pending f1, f2, f3; they signal out of
     * order: f2, then f1, then f3. A reader calls query() twice and then reads which fences
     * have signalled, reduced to the point they imply (r3: 0 = none or only f2, 2 = f1 and f2,
     * 3 = all). query() must not go backwards (r1 <= r2) and must not exceed what had signalled
     * when it ran (r2 <= r3); in particular f2 alone never makes point 2 reached.
     */

    @JCStressTest
    @Description("f2, f1, f3 signal (points 2, 1, 3) vs query() twice: monotonic, never above the points reached.")
    @Outcome(id = "0, 0, 0", expect = ACCEPTABLE, desc = "Nothing reached yet (at most f2 signalled).")
    @Outcome(id = {"0, 0, 2", "0, 1, 2", "0, 2, 2", "1, 1, 2", "1, 2, 2", "2, 2, 2"}, expect = ACCEPTABLE,
            desc = "f1 and f2 signalled by the end: queries rose within 0..2 (1 is a legal transient: point 1 reached).")
    @Outcome(id = {"0, 0, 3", "0, 1, 3", "0, 2, 3", "0, 3, 3", "1, 1, 3", "1, 2, 3", "1, 3, 3",
            "2, 2, 3", "2, 3, 3", "3, 3, 3"}, expect = ACCEPTABLE,
            desc = "All signalled by the end: queries rose within 0..3.")
    @Outcome(expect = FORBIDDEN, desc = "query() went backwards, or reported a point whose fence or an earlier point's had not signalled.")
    @State
    public static class SignalVsQuery {
        final Fence f1 = newFence();
        final Fence f2 = newFence();
        final Fence f3 = newFence();
        final SyncObj obj = SyncObj.create();

        {
            obj.addPoint(1, f1);
            obj.addPoint(2, f2);
            obj.addPoint(3, f3);
        }

        @Actor
        public void signaller() {
            f2.signal();
            f1.signal();
            f3.signal();
        }

        @Actor
        public void reader(JJI_Result r) {
            r.r1 = obj.query();
            r.r2 = obj.query();
            boolean s1 = f1.isSignaled();
            boolean s2 = f2.isSignaled();
            boolean s3 = f3.isSignaled();
            r.r3 = !s1 || !s2 ? 0 : s3 ? 3 : 2;
        }
    }

    /* ------------------------------------------------------------------------------------------
     * onPoint(1) vs addPoint(1, f) + f.signal(): the registration races the submission (the
     * waiter registers under the object's lock and re-checks there). The action runs exactly
     * once, and only after f has signalled.
     */

    @JCStressTest
    @Description("onPoint(1) vs addPoint(1, f) + f.signal(): the action runs exactly once, after f signalled.")
    @Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "The action ran once and saw f signalled.")
    @Outcome(expect = FORBIDDEN, desc = "The action was lost, ran twice, or ran before f signalled.")
    @State
    public static class OnPointVsAddPoint {
        final Fence f = newFence();
        final SyncObj obj = SyncObj.create();
        final AtomicInteger runs = new AtomicInteger();
        volatile int sawSignalled = -1;

        @Actor
        public void submitter() {
            obj.addPoint(1, f);
            f.signal();
        }

        @Actor
        public void registrar() {
            obj.onPoint(1, 0, () -> {
                runs.incrementAndGet();
                sawSignalled = f.isSignaled() ? 1 : BROKEN;
            });
        }

        @Arbiter
        public void arbiter(II_Result r) {
            r.r1 = runs.get();
            r.r2 = sawSignalled;
        }
    }

    /* ------------------------------------------------------------------------------------------
     * addPoint(2, f2) vs addPoint(3, f3) on a timeline holding point 1. Each writer links its
     * point on a snapshot of the head before taking the object's lock and publishes it only if
     * the head is still that snapshot, else links again on the new head. Either 2 lands before 3
     * (both succeed) or 3 lands first and 2 is refused (points must rise); the chain then holds
     * exactly the accepted points, newest first, each with its own fence. A link published on a
     * stale snapshot would drop the other writer's point.
     */

    @JCStressTest
    @Description("addPoint(2) vs addPoint(3): the chain holds exactly the accepted points, in order.")
    @Outcome(id = "1, 1, 1", expect = ACCEPTABLE, desc = "2 then 3: the chain is 3, 2, 1.")
    @Outcome(id = "0, 1, 1", expect = ACCEPTABLE, desc = "3 first; 2 refused as not rising: the chain is 3, 1.")
    @Outcome(expect = FORBIDDEN, desc = "A point lost or out of order, a wrong fence in a link, or both refused.")
    @State
    public static class AddPointVsAddPoint {
        final Fence f1 = newFence();
        final Fence f2 = newFence();
        final Fence f3 = newFence();
        final SyncObj obj = SyncObj.create();

        public AddPointVsAddPoint() {
            obj.addPoint(1, f1); // pending, so no link is collected during the race
        }

        @Actor
        public void two(III_Result r) {
            try {
                obj.addPoint(2, f2);
                r.r1 = 1;
            } catch (IllegalArgumentException notRising) {
                r.r1 = 0;
            }
        }

        @Actor
        public void three(III_Result r) {
            try {
                obj.addPoint(3, f3);
                r.r2 = 1;
            } catch (IllegalArgumentException notRising) {
                r.r2 = 0;
            }
        }

        @Arbiter
        public void arbiter(III_Result r) {
            Fence[] expected = r.r1 == 1 ? new Fence[] {f3, f2, f1} : new Fence[] {f3, f1};
            long[] seqnos = r.r1 == 1 ? new long[] {3, 2, 1} : new long[] {3, 1};
            Fence head = obj.fence();
            int ok = obj.lastSubmitted() == 3 ? 1 : BROKEN;
            Fence link = head;
            for (int i = 0; i < expected.length && ok == 1; i++) {
                if (!(link instanceof FenceChain c) || c.fence() != expected[i]
                        || c.seqno() != seqnos[i]) {
                    ok = BROKEN;
                    break;
                }
                link = c.prev();
            }
            if (ok == 1 && link instanceof FenceChain) {
                ok = BROKEN; // a link beyond point 1
            }
            head.release();
            r.r3 = ok;
        }
    }

    /* ------------------------------------------------------------------------------------------
     * importSyncFile vs SyncFile.close(), the file holding its fence's only reference. The
     * import reads the file's fence and then takes the object's reference; a close in between
     * drops the count to zero. The import must then fail as if the file had been closed first
     * (BadHandleException), not install the released fence uncounted. ImportVsClose installs
     * it as the binary payload (point 0), ImportPointVsClose as timeline point 1.
     */

    /** The shared state of the import-vs-close tests: a file holding f's last reference. */
    abstract static class ImportRace {
        final DriverFence f = new DriverFence();
        final SyncFile file = SyncFileTests.soleOwner(f);
        final SyncObj obj = SyncObj.create();

        final void closer() {
            file.close();
        }

        final void importer(III_Result r, long point) {
            try {
                obj.importSyncFile(file, point);
                r.r1 = f.refCnt() >= 1 ? 1 : RELEASED;
            } catch (BadHandleException e) {
                r.r1 = obj.hasFence() ? BROKEN : BAD_HANDLE;
            }
        }

        final void judge(III_Result r) {
            obj.reset(); // drops the object's reference on a binary fence (not a point's)
            r.r2 = f.deallocateCalls.get();
            r.r3 = f.refCnt();
        }
    }

    @JCStressTest
    @Description("importSyncFile(file, 0) vs file.close(), the file holding the fence's only reference: BadHandleException or the fence installed with its own reference.")
    @Outcome(id = "1, 1, 0", expect = ACCEPTABLE,
            desc = "The import won: the object holds the fence with its own reference (count >= 1); deallocated once after close() and reset().")
    @Outcome(id = "3, 1, 0", expect = ACCEPTABLE,
            desc = "close() won: BadHandleException, nothing installed; deallocated once by close().")
    @Outcome(id = "5, 1, 0", expect = FORBIDDEN,
            desc = "The import installed the fence after close() had released it to zero: the object holds a released fence, uncounted.")
    @Outcome(expect = FORBIDDEN, desc = "A double or missing deallocate, a reference left over, or something installed despite BadHandleException.")
    @State
    public static class ImportVsClose extends ImportRace {
        @Actor
        public void fileCloser() {
            closer();
        }

        @Actor
        public void fileImporter(III_Result r) {
            importer(r, 0L);
        }

        @Arbiter
        public void arbiter(III_Result r) {
            judge(r);
        }
    }

    @JCStressTest
    @Description("importSyncFile(file, 1) vs file.close(), the file holding the fence's only reference: BadHandleException or point 1 holding the fence with its own reference.")
    @Outcome(id = "1, 0, 1", expect = ACCEPTABLE,
            desc = "The import won: point 1 holds the fence with its own reference, kept for as long as the chain exists (reset() does not drop it); close() released the file's.")
    @Outcome(id = "3, 1, 0", expect = ACCEPTABLE,
            desc = "close() won: BadHandleException, no point added; deallocated once by close().")
    @Outcome(id = "5, 1, 0", expect = FORBIDDEN,
            desc = "Point 1 was added on the fence after close() had released it to zero.")
    @Outcome(expect = FORBIDDEN, desc = "A double or missing deallocate, a reference left over, or a point added despite BadHandleException.")
    @State
    public static class ImportPointVsClose extends ImportRace {
        @Actor
        public void fileCloser() {
            closer();
        }

        @Actor
        public void fileImporter(III_Result r) {
            importer(r, 1L);
        }

        @Arbiter
        public void arbiter(III_Result r) {
            judge(r);
        }
    }
}
