package dev.fence.stress;

import static dev.fence.stress.Probes.BAD_HANDLE;
import static dev.fence.stress.Probes.BROKEN;
import static dev.fence.stress.Probes.TRUE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.fence.core.Fence;
import dev.fence.syncfile.BadHandleException;
import dev.fence.syncfile.FdTable;
import dev.fence.syncfile.SyncFile;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * {@link FdTable}: installs, closes, detaches and lock-free lookups racing each other. Claims:
 * numbers are handed out lowest-free first and never twice; {@code get} never returns a file
 * after its number was closed; a number is closed or detached by exactly one caller.
 *
 * <p>How to run: {@code java -jar fence-stress/target/jcstress.jar -t FdTableTests[.SubTestName]}
 */
public final class FdTableTests {

    private FdTableTests() {
    }

    static SyncFile newFile() {
        return SyncFile.create(Fence.create(Fence.allocateContexts(1), 1));
    }

    /* ------------------------------------------------------------------------------------------
     * Two installs into an empty table get 0 and 1, one each, and each number then holds the
     * file installed under it.
     */

    @JCStressTest
    @Description("install(a) vs install(b) on an empty table: numbers 0 and 1, one each.")
    @Outcome(id = {"0, 1, 1", "1, 0, 1"}, expect = ACCEPTABLE,
            desc = "The installs got 0 and 1; get() of each number returns the file installed there.")
    @Outcome(expect = FORBIDDEN, desc = "One number handed out twice, a number skipped, or a slot holding the wrong file.")
    @State
    public static class InstallVsInstall {
        final FdTable fds = new FdTable();
        final SyncFile a = newFile();
        final SyncFile b = newFile();

        @Actor
        public void installerA(III_Result r) {
            r.r1 = fds.install(a);
        }

        @Actor
        public void installerB(III_Result r) {
            r.r2 = fds.install(b);
        }

        @Arbiter
        public void arbiter(III_Result r) {
            boolean ok = fds.size() == 2 && r.r1 != r.r2
                    && fds.get(r.r1) == a && fds.get(r.r2) == b;
            r.r3 = ok ? 1 : BROKEN;
        }
    }

    /* ------------------------------------------------------------------------------------------
     * Lowest free first: the table holds 0 and 1. One thread closes 0 and installs c; another
     * installs d. Whoever installs after the close gets 0 back, the other gets 2.
     */

    @JCStressTest
    @Description("{0, 1} open; close(0) + install(c) vs install(d): numbers 0 and 2, lowest free first.")
    @Outcome(id = "0, 2, 1", expect = ACCEPTABLE, desc = "d was installed first (got 2) or after c; c reused 0.")
    @Outcome(id = "2, 0, 1", expect = ACCEPTABLE, desc = "d came right after the close and reused 0; c got 2.")
    @Outcome(expect = FORBIDDEN, desc = "Both got one number, a free lower number was skipped (1, 3), or a slot holds the wrong file.")
    @State
    public static class CloseAndInstallVsInstall {
        final FdTable fds = new FdTable();
        final SyncFile a = newFile();
        final SyncFile b = newFile();
        final SyncFile c = newFile();
        final SyncFile d = newFile();

        {
            fds.install(a);
            fds.install(b);
        }

        @Actor
        public void closerInstaller(III_Result r) {
            fds.close(0);
            r.r1 = fds.install(c);
        }

        @Actor
        public void installer(III_Result r) {
            r.r2 = fds.install(d);
        }

        @Arbiter
        public void arbiter(III_Result r) {
            boolean ok = a.isClosed() && fds.size() == 3 && fds.get(1) == b
                    && fds.get(r.r1) == c && fds.get(r.r2) == d;
            r.r3 = ok ? 1 : BROKEN;
        }
    }

    /* ------------------------------------------------------------------------------------------
     * get() vs close(): the getter first reads whether close(0) has returned, then looks 0 up.
     * If the close had returned before the lookup began, the lookup must fail. A lookup
     * overlapping the close may return the file (it was open when looked at) or fail. This is
     * the caller's view: get() also refuses a file whose isClosed() is set, so it would pass
     * even if the table kept the closed number; IsOpenVsClose below checks the table itself.
     */

    @JCStressTest
    @Description("close(0) vs get(0): after close(0) returned, get(0) throws BadHandleException.")
    @Outcome(id = "1, 0", expect = ACCEPTABLE, desc = "get() overlapped or preceded the close and returned the open file.")
    @Outcome(id = "3, 0", expect = ACCEPTABLE, desc = "get() overlapped the close and threw BadHandleException.")
    @Outcome(id = "3, 1", expect = ACCEPTABLE, desc = "get() began after close() returned and threw BadHandleException.")
    @Outcome(id = "1, 1", expect = FORBIDDEN, desc = "get() began after close() returned, yet returned the closed number's file.")
    @Outcome(expect = FORBIDDEN, desc = "get() returned some other object.")
    @State
    public static class GetVsClose {
        final FdTable fds = new FdTable();
        final SyncFile a = newFile();
        volatile boolean closeReturned;

        {
            fds.install(a);
        }

        @Actor
        public void closer() {
            fds.close(0);
            closeReturned = true;
        }

        @Actor
        public void getter(II_Result r) {
            boolean after = closeReturned;
            r.r2 = after ? 1 : 0;
            try {
                r.r1 = fds.get(0) == a ? TRUE : BROKEN;
            } catch (BadHandleException e) {
                r.r1 = BAD_HANDLE;
            }
        }
    }

    /* ------------------------------------------------------------------------------------------
     * detach() vs close() of one number: exactly one of them takes the file. The detacher gets
     * it open (and owns it); or the closer closes it and the detacher fails.
     */

    @JCStressTest
    @Description("detach(0) vs close(0): exactly one takes the number; a detached file stays open.")
    @Outcome(id = "1, 3, 1", expect = ACCEPTABLE,
            desc = "detach() won: it returned the open file; close() threw BadHandleException; the table is empty.")
    @Outcome(id = "3, 0, 1", expect = ACCEPTABLE,
            desc = "close() won and closed the file; detach() threw BadHandleException; the table is empty.")
    @Outcome(expect = FORBIDDEN, desc = "Both or neither took the number, or a detached file was closed.")
    @State
    public static class DetachVsClose {
        final FdTable fds = new FdTable();
        final SyncFile a = newFile();
        volatile boolean detached;

        {
            fds.install(a);
        }

        @Actor
        public void detacher(III_Result r) {
            try {
                SyncFile f = fds.detach(0);
                detached = true;
                r.r1 = f == a ? TRUE : BROKEN;
            } catch (BadHandleException e) {
                r.r1 = BAD_HANDLE;
            }
        }

        @Actor
        public void closer(III_Result r) {
            try {
                fds.close(0);
                r.r2 = 0;
            } catch (BadHandleException e) {
                r.r2 = BAD_HANDLE;
            }
        }

        @Arbiter
        public void arbiter(III_Result r) {
            // closed iff the closer won; never both
            boolean ok = fds.size() == 0 && !fds.isOpen(0) && a.isClosed() != detached;
            r.r3 = ok ? 1 : BROKEN;
        }
    }

    /* ------------------------------------------------------------------------------------------
     * DetachVsClose with the race paced, the closer leading: detach() reads the slot
     * (lock-free get) and then frees it only if it still holds that file (remove(fd, f) under
     * the table lock); a close() that takes the number in between must make the detach fail.
     * The window is the detacher's first steps, so the closer raises a flag, waits a random
     * 0-1000 ns (Probes.LEAD_SPREAD_NANOS) and closes, while the detacher starts as soon as it
     * sees the flag. (Pacing the closer behind the detacher, 0-400 ns after a flag raised
     * before the detach, caught a detach ignoring the refusal no better than the original.)
     */

    @JCStressTest
    @Description("close(0) started a random 0-1000 ns after a flag that sets off detach(0): exactly one takes the number.")
    @Outcome(id = "1, 3, 1", expect = ACCEPTABLE,
            desc = "detach() won: it returned the open file; close() threw BadHandleException; the table is empty.")
    @Outcome(id = "3, 0, 1", expect = ACCEPTABLE,
            desc = "close() won and closed the file; detach() threw BadHandleException; the table is empty.")
    @Outcome(expect = FORBIDDEN, desc = "Both or neither took the number, or a detached file was closed.")
    @State
    public static class PacedDetachVsClose {
        final FdTable fds = new FdTable();
        final SyncFile a = newFile();
        volatile boolean go;
        volatile boolean detached;

        {
            fds.install(a);
        }

        @Actor
        public void detacher(III_Result r) {
            while (!go) {
                Thread.onSpinWait();
            }
            try {
                SyncFile f = fds.detach(0);
                detached = true;
                r.r1 = f == a ? TRUE : BROKEN;
            } catch (BadHandleException e) {
                r.r1 = BAD_HANDLE;
            }
        }

        @Actor
        public void closer(III_Result r) {
            go = true;
            Probes.spinRandomly(Probes.LEAD_SPREAD_NANOS);
            try {
                fds.close(0);
                r.r2 = 0;
            } catch (BadHandleException e) {
                r.r2 = BAD_HANDLE;
            }
        }

        @Arbiter
        public void arbiter(III_Result r) {
            boolean ok = fds.size() == 0 && !fds.isOpen(0) && a.isClosed() != detached;
            r.r3 = ok ? 1 : BROKEN;
        }
    }

    /* ------------------------------------------------------------------------------------------
     * DetachVsClose eight times per sample, with a polling detacher. The closer installs eight
     * files in turn, each under number 0, and closes each a random 0-400 ns
     * (Probes.Pacer.SPREAD_NANOS) after its install; the detacher loops, detaching number 0
     * whenever it sees it open, until the closer is done. A close that takes the number
     * between the detacher's lock-free get and its remove(fd, f) (or a close and the next
     * install, which puts another file there) must make that detach fail. Every file ends
     * either detached and open, or closed; never both, never neither.
     */

    @JCStressTest
    @Description("Eight install + close(0) vs a detach(0) loop: each file detached (and open) or closed, never both.")
    @Outcome(id = "0, 0, 0", expect = ACCEPTABLE,
            desc = "Every file was either detached (still open) or closed; the table is empty.")
    @Outcome(expect = FORBIDDEN, desc = "r1 files both detached and closed, r2 files neither, r3 numbers left open.")
    @State
    public static class DetachLoopVsCloses {
        static final int FILES = 8;
        final FdTable fds = new FdTable();
        final SyncFile[] files = new SyncFile[FILES];
        final boolean[] detached = new boolean[FILES]; // the detacher's; read by the arbiter
        volatile boolean done;

        {
            for (int i = 0; i < FILES; i++) {
                files[i] = newFile();
            }
        }

        @Actor
        public void closer() {
            for (SyncFile f : files) {
                fds.install(f);               // number 0: the previous file's number is free
                Probes.spinRandomly(Probes.Pacer.SPREAD_NANOS);
                try {
                    fds.close(0);
                } catch (BadHandleException e) {
                    // the detacher took it
                }
            }
            done = true;
        }

        @Actor
        public void detacher() {
            boolean last;
            do {
                last = done;                  // one more look after the closer is done
                if (fds.isOpen(0)) {
                    try {
                        SyncFile f = fds.detach(0);
                        for (int i = 0; i < FILES; i++) {
                            if (files[i] == f) {
                                detached[i] = true;
                            }
                        }
                    } catch (BadHandleException e) {
                        // the closer took it first
                    }
                }
            } while (!last);
        }

        @Arbiter
        public void arbiter(III_Result r) {
            int both = 0;
            int neither = 0;
            for (int i = 0; i < FILES; i++) {
                boolean closed = files[i].isClosed();
                both += detached[i] && closed ? 1 : 0;
                neither += !detached[i] && !closed ? 1 : 0;
            }
            r.r1 = both;
            r.r2 = neither;
            r.r3 = fds.size();
        }
    }

    /* ------------------------------------------------------------------------------------------
     * One file, two tables: a file is installed under one number at a time, so of two racing
     * installs of the same file exactly one gets a number and the other is refused (the claim is
     * a CAS on the file, SyncFile.claimInstall).
     */

    /** What an install that was refused with IllegalArgumentException reports. */
    static final int REFUSED = -7;

    @JCStressTest
    @Description("t1.install(a) vs t2.install(a): exactly one table gets the file, the other install is refused.")
    @Outcome(id = {"0, -7, 1", "-7, 0, 1"}, expect = ACCEPTABLE,
            desc = "One install got number 0 and holds the file; the other was refused and left its table empty.")
    @Outcome(expect = FORBIDDEN, desc = "Both installs succeeded (one file under two numbers), both were refused, or a table holds the wrong thing.")
    @State
    public static class SameFileTwoTables {
        final FdTable t1 = new FdTable();
        final FdTable t2 = new FdTable();
        final SyncFile a = newFile();

        @Actor
        public void installer1(III_Result r) {
            r.r1 = installOrRefused(t1, a);
        }

        @Actor
        public void installer2(III_Result r) {
            r.r2 = installOrRefused(t2, a);
        }

        @Arbiter
        public void arbiter(III_Result r) {
            boolean ok = (r.r1 == 0) != (r.r2 == 0)
                    && t1.size() == (r.r1 == 0 ? 1 : 0) && t2.size() == (r.r2 == 0 ? 1 : 0)
                    && (r.r1 != 0 || t1.get(0) == a) && (r.r2 != 0 || t2.get(0) == a)
                    && !a.isClosed();
            r.r3 = ok ? 1 : BROKEN;
        }
    }

    /* ------------------------------------------------------------------------------------------
     * detach() hands the file back: an install elsewhere racing the detach either comes too
     * early (refused: the file is still installed) or after it (accepted). Never both tables.
     */

    @JCStressTest
    @Description("t1 holds a at 0; t1.detach(0) vs t2.install(a): refused before the detach, accepted after, never in both tables.")
    @Outcome(id = "1, -7, 1", expect = ACCEPTABLE, desc = "The install came before the detach released the file: refused.")
    @Outcome(id = "1, 0, 1", expect = ACCEPTABLE, desc = "The install came after the detach: t2 now holds the file.")
    @Outcome(expect = FORBIDDEN, desc = "The detach failed, or the file ended up in both tables or in neither the caller's hands nor t2 as reported.")
    @State
    public static class DetachVsInstallElsewhere {
        final FdTable t1 = new FdTable();
        final FdTable t2 = new FdTable();
        final SyncFile a = newFile();

        {
            t1.install(a);
        }

        @Actor
        public void detacher(III_Result r) {
            try {
                r.r1 = t1.detach(0) == a ? TRUE : BROKEN;
            } catch (BadHandleException e) {
                r.r1 = BAD_HANDLE;
            }
        }

        @Actor
        public void installer(III_Result r) {
            r.r2 = installOrRefused(t2, a);
        }

        @Arbiter
        public void arbiter(III_Result r) {
            boolean ok = t1.size() == 0 && !a.isClosed()
                    && t2.size() == (r.r2 == 0 ? 1 : 0) && (r.r2 != 0 || t2.get(0) == a);
            if (ok && r.r2 == REFUSED) {
                // refused only because it was still installed: now it is free again
                ok = installOrRefused(t2, a) == 0;
            }
            r.r3 = ok ? 1 : BROKEN;
        }
    }

    /* ------------------------------------------------------------------------------------------
     * The same race seen from the installer: detach() frees the number and only then hands the
     * file back (releases its install claim, a volatile write that t2's claim CAS reads). So an
     * install elsewhere that succeeded finds number 0 already gone from t1. Handing the file back
     * first would leave it, for a moment, under two numbers in two tables (a close of t1's 0
     * then closes the file t2 holds); DetachVsInstallElsewhere's end state cannot tell, as the
     * detach completes either way.
     */

    @JCStressTest
    @Description("t1 holds a at 0; t1.detach(0) vs t2.install(a) then t1.isOpen(0): an install that succeeded finds 0 gone from t1.")
    @Outcome(id = "1, -7", expect = ACCEPTABLE, desc = "The install came before the detach released the file: refused.")
    @Outcome(id = "1, 0", expect = ACCEPTABLE, desc = "The install came after the detach: accepted, and t1 no longer held number 0.")
    @Outcome(expect = FORBIDDEN, desc = "The install succeeded while t1 still held the file under 0 (handed back before the number was freed), or the detach failed.")
    @State
    public static class InstallElsewhereAfterDetachFindsNumberFreed {
        final FdTable t1 = new FdTable();
        final FdTable t2 = new FdTable();
        final SyncFile a = newFile();

        {
            t1.install(a);
        }

        @Actor
        public void detacher(II_Result r) {
            try {
                r.r1 = t1.detach(0) == a ? TRUE : BROKEN;
            } catch (BadHandleException e) {
                r.r1 = BAD_HANDLE;
            }
        }

        @Actor
        public void installer(II_Result r) {
            int n = installOrRefused(t2, a);
            r.r2 = n == 0 && t1.isOpen(0) ? BROKEN : n;
        }
    }

    /* ------------------------------------------------------------------------------------------
     * Lock-free lookups across growth (HandleTable's overview: growth copies the current array
     * into a larger one and only then publishes it with a volatile write; a reader holding
     * either array sees a state that existed during its call). Numbers 0..15 fill the initial
     * 16-slot array; install(x) takes number 16 and so grows the table while a reader looks up
     * every open number, newest first. No number is ever closed, so every lookup must find its
     * own file, whichever array it reads: a miss means a reader saw a published array that was
     * not yet (or not completely) filled.
     */

    @JCStressTest
    @Description("{0..15} open (the initial array full); install(x) grows the table vs get(15)..get(0): every open number is found.")
    @Outcome(id = "16, 16, 1", expect = ACCEPTABLE,
            desc = "x got 16; the reader found all 16 open numbers holding their files, across the growth.")
    @Outcome(expect = FORBIDDEN,
            desc = "A lookup missed an open number (an unfilled array was published), found the wrong file, or x got a wrong number.")
    @State
    public static class LookupDuringGrowth {
        static final int INITIAL = 16; // HandleTable's first array
        final FdTable fds = new FdTable();
        final SyncFile[] open = new SyncFile[INITIAL];
        final SyncFile x = newFile();

        {
            for (int i = 0; i < INITIAL; i++) {
                open[i] = newFile();
                fds.install(open[i]);
            }
        }

        @Actor
        public void installer(III_Result r) {
            r.r1 = fds.install(x);
        }

        @Actor
        public void reader(III_Result r) {
            int found = 0;
            for (int i = INITIAL - 1; i >= 0; i--) { // the last slots are copied last
                try {
                    if (fds.get(i) == open[i]) {
                        found++;
                    }
                } catch (BadHandleException e) {
                    // a miss: counted by its absence
                }
            }
            r.r2 = found;
        }

        @Arbiter
        public void arbiter(III_Result r) {
            boolean ok = fds.size() == INITIAL + 1 && r.r1 == INITIAL && fds.get(INITIAL) == x;
            r.r3 = ok ? 1 : BROKEN;
        }
    }

    /* ------------------------------------------------------------------------------------------
     * The table's own answer after close(): isOpen() is the bare lock-free lookup (GetVsClose's
     * get() also checks SyncFile.isClosed(), which close() sets before it returns, so that test
     * cannot see a table that still holds a closed number). Once close(0) has returned,
     * isOpen(0) must be false.
     */

    @JCStressTest
    @Description("close(0) vs isOpen(0): after close(0) returned, the table no longer reports 0 open.")
    @Outcome(id = {"1, 0", "0, 0"}, expect = ACCEPTABLE, desc = "The lookup overlapped or preceded the close: open or not.")
    @Outcome(id = "0, 1", expect = ACCEPTABLE, desc = "The lookup began after close() returned: not open.")
    @Outcome(expect = FORBIDDEN, desc = "The lookup began after close() returned, yet the table still held number 0.")
    @State
    public static class IsOpenVsClose {
        final FdTable fds = new FdTable();
        volatile boolean closeReturned;

        {
            fds.install(newFile());
        }

        @Actor
        public void closer() {
            fds.close(0);
            closeReturned = true;
        }

        @Actor
        public void looker(II_Result r) {
            boolean after = closeReturned;
            r.r2 = after ? 1 : 0;
            r.r1 = fds.isOpen(0) ? 1 : 0;
        }
    }

    static int installOrRefused(FdTable t, SyncFile f) {
        try {
            return t.install(f);
        } catch (IllegalArgumentException e) {
            return REFUSED;
        }
    }
}
