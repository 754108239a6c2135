package dev.fence.stress;

import static dev.fence.stress.Probes.BAD_HANDLE;
import static dev.fence.stress.Probes.BROKEN;
import static dev.fence.stress.Probes.RELEASED;
import static dev.fence.stress.Probes.TRUE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.fence.core.Fence;
import dev.fence.stress.Probes.DriverFence;
import dev.fence.syncfile.BadHandleException;
import dev.fence.syncfile.SyncFile;
import dev.fence.syncfile.SyncObj;
import java.io.IOException;
import java.nio.channels.Pipe;
import java.util.concurrent.TimeUnit;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * {@link SyncFile}: {@code close()} racing the operations of another thread that still uses the
 * file. The contract (SyncFile's class javadoc, and the kernel's fd semantics): the other thread
 * either completes its operation, with a valid fence reference, or gets
 * {@link BadHandleException}; the file's own reference is released exactly once.
 * {@code merge} racing a chain walker (MergeVsChainCollection): the merged file holds its own
 * reference on whatever fence it keeps.
 *
 * <p>Most tests give the file the fence's <em>only</em> reference (the creator releases its own
 * right after {@code create}), so that {@code close()} drops the count to zero and a late
 * {@code retain} has nothing left to take.
 *
 * <p>How to run: {@code java -jar fence-stress/target/jcstress.jar -t SyncFileTests[.SubTestName]}
 */
public final class SyncFileTests {

    private SyncFileTests() {
    }

    /** A driver fence wrapped in a file that holds its only reference. */
    static SyncFile soleOwner(Fence f) {
        SyncFile file = SyncFile.create(f);
        f.release(); // the creator's reference; the file's is now the last one
        return file;
    }

    /* ------------------------------------------------------------------------------------------
     * close() vs fence(): fence() hands out a new reference. Racing the close of a file that
     * holds the last reference, it must either see the file closed (BadHandleException) or
     * return the fence with a reference of its own (count >= 1 until the caller releases it).
     * Returning the fence after close() released it to zero would hand out a dead fence as if it
     * were retained (the caller's release() would then be an over-release).
     */

    @JCStressTest
    @Description("close() vs fence() on a file holding the only reference: BadHandleException or a retained fence; deallocated once.")
    @Outcome(id = "3, 1, 0", expect = ACCEPTABLE,
            desc = "close() won: fence() threw BadHandleException; the fence was deallocated once.")
    @Outcome(id = "1, 1, 0", expect = ACCEPTABLE,
            desc = "fence() won: it returned the fence with its own reference; the last release deallocated it once.")
    @Outcome(id = "5, 1, 0", expect = FORBIDDEN,
            desc = "fence() returned the fence after close() had released the last reference (count 0): a released fence handed out as retained.")
    @Outcome(expect = FORBIDDEN, desc = "Another fence, a double or missing deallocate, or a reference left over.")
    @State
    public static class CloseVsFence {
        final DriverFence f = new DriverFence();
        final SyncFile file = soleOwner(f);

        @Actor
        public void closer() {
            file.close();
        }

        @Actor
        public void getter(III_Result r) {
            try {
                Fence g = file.fence();
                if (g != f) {
                    r.r1 = BROKEN;
                } else if (g.refCnt() < 1) {
                    r.r1 = RELEASED;
                } else {
                    g.release();
                    r.r1 = TRUE;
                }
            } catch (BadHandleException e) {
                r.r1 = BAD_HANDLE;
            }
        }

        @Arbiter
        public void arbiter(III_Result r) {
            r.r2 = f.deallocateCalls.get();
            r.r3 = f.refCnt();
        }
    }

    /* ------------------------------------------------------------------------------------------
     * close() vs dup(): the copy takes its own reference, so it is a valid open file on a live
     * fence, or dup() sees the file closed. Same window as fence().
     */

    @JCStressTest
    @Description("close() vs dup() on a file holding the only reference: BadHandleException or a copy with its own reference.")
    @Outcome(id = "3, 1, 0", expect = ACCEPTABLE,
            desc = "close() won: dup() threw BadHandleException; deallocated once.")
    @Outcome(id = "1, 1, 0", expect = ACCEPTABLE,
            desc = "dup() won: the copy held a reference (count >= 1) until it was closed; deallocated once.")
    @Outcome(id = "5, 1, 0", expect = FORBIDDEN,
            desc = "dup() returned an open copy on a fence whose count had already reached zero.")
    @Outcome(expect = FORBIDDEN, desc = "A double or missing deallocate, or a reference left over.")
    @State
    public static class CloseVsDup {
        final DriverFence f = new DriverFence();
        final SyncFile file = soleOwner(f);

        @Actor
        public void closer() {
            file.close();
        }

        @Actor
        public void duplicator(III_Result r) {
            try {
                SyncFile d = file.dup();
                r.r1 = f.refCnt() >= 1 && !d.isClosed() ? TRUE : RELEASED;
                d.close();
            } catch (BadHandleException e) {
                r.r1 = BAD_HANDLE;
            }
        }

        @Arbiter
        public void arbiter(III_Result r) {
            r.r2 = f.deallocateCalls.get();
            r.r3 = f.refCnt();
        }
    }

    /* ------------------------------------------------------------------------------------------
     * Two threads close one file: both return quietly, and the file's reference is released
     * exactly once.
     */

    @JCStressTest
    @Description("close() vs close(): both return quietly; exactly one release (deallocated once).")
    @Outcome(id = "0, 0, 1", expect = ACCEPTABLE, desc = "Both closes returned; the fence was deallocated exactly once.")
    @Outcome(expect = FORBIDDEN, desc = "A close threw, or the reference was released twice or not at all.")
    @State
    public static class CloseVsClose {
        final DriverFence f = new DriverFence();
        final SyncFile file = soleOwner(f);

        @Actor
        public void closer1(III_Result r) {
            r.r1 = closeCode(file);
        }

        @Actor
        public void closer2(III_Result r) {
            r.r2 = closeCode(file);
        }

        @Arbiter
        public void arbiter(III_Result r) {
            r.r3 = file.isClosed() ? f.deallocateCalls.get() : BROKEN;
        }

        private static int closeCode(SyncFile file) {
            try {
                file.close();
                return 0;
            } catch (RuntimeException e) {
                return BROKEN;
            }
        }
    }

    /* ------------------------------------------------------------------------------------------
     * close() vs poll(0) on a signalled fence: poll reports ready or sees the file closed; it
     * never reports "not ready" for a fence that had signalled before either call.
     */

    @JCStressTest
    @Description("close() vs poll(0) on a signalled fence: ready, or BadHandleException; deallocated once.")
    @Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "poll() ran first and reported the fence ready.")
    @Outcome(id = "3, 1", expect = ACCEPTABLE, desc = "close() ran first: poll() threw BadHandleException.")
    @Outcome(expect = FORBIDDEN, desc = "poll() reported a signalled fence not ready, or the release was lost or doubled.")
    @State
    public static class CloseVsPoll {
        final DriverFence f = new DriverFence();
        final SyncFile file;

        {
            f.signal();
            file = soleOwner(f);
        }

        @Actor
        public void closer() {
            file.close();
        }

        @Actor
        public void poller(II_Result r) {
            try {
                r.r1 = file.poll(0, TimeUnit.NANOSECONDS) ? TRUE : 0;
            } catch (BadHandleException e) {
                r.r1 = BAD_HANDLE;
            } catch (InterruptedException e) {
                r.r1 = BROKEN;
            }
        }

        @Arbiter
        public void arbiter(II_Result r) {
            r.r2 = f.deallocateCalls.get();
        }
    }

    /* ------------------------------------------------------------------------------------------
     * close() vs channel(): channel() creates a pipe lazily. Either it sees the file closed, or
     * the pipe it created is closed by close(): a pipe is never left open (an OS resource leak)
     * once both calls have returned.
     */

    @JCStressTest
    @Description("close() vs channel() on a pending fence: BadHandleException, or a channel that close() has closed.")
    @Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "channel() won: it returned a channel, and close() closed it.")
    @Outcome(id = "3, 0", expect = ACCEPTABLE, desc = "close() won: channel() threw BadHandleException; no pipe was made.")
    @Outcome(expect = FORBIDDEN, desc = "A channel left open after close() returned, or an I/O error.")
    @State
    public static class CloseVsChannel {
        // the creator keeps its reference
        final Fence f = Fence.create(Fence.allocateContexts(1), 1);
        final SyncFile file = SyncFile.create(f);
        Pipe.SourceChannel ch;

        @Actor
        public void closer() {
            file.close();
        }

        @Actor
        public void opener(II_Result r) {
            try {
                ch = file.channel();
                r.r1 = TRUE;
            } catch (BadHandleException e) {
                r.r1 = BAD_HANDLE;
            } catch (IOException e) {
                r.r1 = BROKEN;
            }
        }

        @Arbiter
        public void arbiter(II_Result r) {
            Pipe.SourceChannel c = ch;
            r.r2 = c == null ? 0 : c.isOpen() ? BROKEN : 1;
            if (c != null && c.isOpen()) {
                try {
                    c.close(); // do not leak file descriptors while the test reports the failure
                } catch (IOException ignored) {
                    // nothing more to do
                }
            }
        }
    }

    /* ------------------------------------------------------------------------------------------
     * channel() vs channel() on a pending fence, the first calls on the file: the channel
     * holder is created lazily and installed by a CAS (compareAndExchange on `channel`), so the
     * loser adopts the winner's holder and both calls return the same channel, which the
     * file's close() then closes. Two holders would make two pipes, one of them unreachable
     * from close() (a leaked pipe).
     */

    @JCStressTest
    @Description("channel() vs channel(), the file's first two: both return the same channel, and close() closes it.")
    @Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "One channel for both calls; closed by the file's close().")
    @Outcome(expect = FORBIDDEN, desc = "Two different channels (one left open after close()), or an error.")
    @State
    public static class ChannelVsChannel {
        final Fence f = Fence.create(Fence.allocateContexts(1), 1);
        final SyncFile file = SyncFile.create(f);
        Pipe.SourceChannel ch1;
        Pipe.SourceChannel ch2;

        {
            f.release(); // the file holds the only reference
        }

        @Actor
        public void opener1() {
            try {
                ch1 = file.channel();
            } catch (IOException | BadHandleException e) {
                ch1 = null;
            }
        }

        @Actor
        public void opener2() {
            try {
                ch2 = file.channel();
            } catch (IOException | BadHandleException e) {
                ch2 = null;
            }
        }

        @Arbiter
        public void arbiter(II_Result r) {
            Pipe.SourceChannel c1 = ch1;
            Pipe.SourceChannel c2 = ch2;
            r.r1 = c1 != null && c1 == c2 ? 1 : 0;
            file.close();
            r.r2 = c1 != null && c2 != null && !c1.isOpen() && !c2.isOpen() ? 1 : BROKEN;
            for (Pipe.SourceChannel c : new Pipe.SourceChannel[] {c1, c2}) {
                if (c != null && c.isOpen()) {
                    try {
                        // do not leak file descriptors while the test reports the failure
                        c.close();
                    } catch (IOException ignored) {
                        // nothing more to do
                    }
                }
            }
        }
    }

    /* ------------------------------------------------------------------------------------------
     * merge() of a timeline point vs the chain being collected. File a holds link 2 of a SyncObj
     * timeline (a signalled fence), whose prev is link 1 holding f1 (pending). merge(a, a)
     * flattens the chain: while f1 is pending the result is f1 itself, an existing fence that
     * the merged file must retain; once f1 has signalled it is a new signalled fence whose birth
     * reference is the file's. The other thread signals f1 and walks the chain from link 2
     * (isSignaled), which collects link 1 out of link 2's prev. merge decides "fresh or
     * existing" from a snapshot of everything reachable from its inputs taken before
     * Fences.merge (Refs.merge, commit a0ecf7e), so the collection cannot hide f1:
     * a decision from a second walk after the merge missed f1 when link 1 was collected in
     * between, and the file then held f1 without a reference (its close over-released it).
     * FlattenSnapshotRefsTest is the JUnit version.
     */

    @JCStressTest
    @Description("SyncFile.merge of a timeline point vs signal + chain walk collecting the link it keeps: the merged file holds its own reference on the fence it kept.")
    @Outcome(id = "1, 3, 2", expect = ACCEPTABLE,
            desc = "merge saw f1 pending and kept it: the merged file holds its own reference (3: ours, the object's, the file's); 2 again after closing it.")
    @Outcome(id = "0, 2, 2", expect = ACCEPTABLE,
            desc = "f1 had signalled when merge checked it: the merged file holds a new signalled fence; f1's count untouched.")
    @Outcome(id = "1, 2, 1", expect = FORBIDDEN,
            desc = "The merged file holds f1 without a reference (link 1 collected before the freshness check); its close over-released f1.")
    @Outcome(expect = FORBIDDEN, desc = "Another kept fence (a pending one other than f1), a reference taken twice or lost, or the chain link's count off after closing.")
    @State
    public static class MergeVsChainCollection {
        final Fence f1 = Fence.create(Fence.allocateContexts(1), 1); // our reference: 1
        final SyncObj obj = SyncObj.create();
        final SyncFile a;
        final Fence link2;
        SyncFile merged;

        {
            obj.addPoint(1, f1);                  // the object's reference: 2
            Fence done = Fence.create(Fence.allocateContexts(1), 1);
            done.signal();
            obj.addPoint(2, done);
            a = obj.exportSyncFile(2);            // holds link 2, whose prev is link 1 (f1)
            link2 = a.fence();                    // the signaller's own reference on the head
        }

        @Actor
        public void merger() {
            merged = SyncFile.merge("m", a, a);
        }

        @Actor
        public void collector() {
            f1.signal();
            link2.isSignaled(); // walks the chain: collects link 1 out of link 2's prev
        }

        @Arbiter
        public void arbiter(III_Result r) {
            SyncFile m = merged;
            Fence kept = m.fence(); // a reference of ours, released below
            r.r1 = kept == f1 ? 1 : kept.isSignaled() ? 0 : BROKEN;
            kept.release();
            r.r2 = f1.refCnt();
            m.close();
            a.close();
            link2.release();
            // ours and the object's on f1; the object's alone on link 2 (its chain head)
            r.r3 = link2.refCnt() == 1 ? f1.refCnt() : BROKEN;
        }
    }
}
