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
        final Fence f = Fence.create(Fence.allocateContexts(1), 1); // the creator keeps its reference
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
}
