package dev.fence.syncfile;

import static dev.fence.syncfile.SyncObj.WAIT_ALL;
import static dev.fence.syncfile.SyncObj.WAIT_AVAILABLE;
import static dev.fence.syncfile.SyncObj.WAIT_FOR_SUBMIT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.fence.core.Fence;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The generated matrices of IGT syncobj_wait and syncobj_timeline: every combination of object
 * states (unsubmitted, submitted, signalled) and wait flags, for one object and for three
 * objects mixing binary and timeline points, against the kernel's expected result: invalid
 * ({@link PointNotSubmittedException}), timeout (-1), or success (the first ready index).
 */
class SyncObjWaitMatrixTest {

    private enum State { UNSUBMITTED, SUBMITTED, SIGNALED }

    private static final int[] FLAG_SETS = new int[8];

    static {
        for (int i = 0; i < 8; i++) {
            int f = 0;
            if ((i & 1) != 0) {
                f |= WAIT_ALL;
            }
            if ((i & 2) != 0) {
                f |= WAIT_FOR_SUBMIT;
            }
            if ((i & 4) != 0) {
                f |= WAIT_AVAILABLE;
            }
            FLAG_SETS[i] = f;
        }
    }

    /** An object in {@code state} for {@code point}; a timeline object has earlier points. */
    private static SyncObj make(State state, long point) {
        SyncObj obj = SyncObj.create();
        if (point > 1) {
            obj.signal(point - 1); // the timeline exists, but not this point (yet)
        }
        if (state == State.UNSUBMITTED) {
            return obj;
        }
        Fence f = Fence.create(Fence.allocateContexts(1), 1);
        if (state == State.SIGNALED) {
            f.signal();
        }
        if (point == 0) {
            obj.replaceFence(f);
        } else {
            obj.addPoint(point, f);
        }
        return obj;
    }

    private static boolean done(State s, int flags) {
        return s == State.SIGNALED || (s == State.SUBMITTED && (flags & WAIT_AVAILABLE) != 0);
    }

    /** The kernel's verdict: null for invalid, else the return value. */
    private static Integer expected(State[] states, int flags) {
        boolean waitsForSubmit = (flags & (WAIT_FOR_SUBMIT | WAIT_AVAILABLE)) != 0;
        for (State s : states) {
            if (s == State.UNSUBMITTED && !waitsForSubmit) {
                return null;
            }
        }
        if ((flags & WAIT_ALL) != 0) {
            for (State s : states) {
                if (!done(s, flags)) {
                    return -1;
                }
            }
            return 0;
        }
        for (int i = 0; i < states.length; i++) {
            if (done(states[i], flags)) {
                return i;
            }
        }
        return -1;
    }

    private static void check(State[] states, long[] points, int flags, long timeoutMs)
            throws InterruptedException {
        SyncObj[] objs = new SyncObj[states.length];
        for (int i = 0; i < states.length; i++) {
            objs[i] = make(states[i], points[i]);
        }
        Integer want = expected(states, flags);
        String what = java.util.Arrays.toString(states) + " flags " + flags + " timeout "
                + timeoutMs;
        if (want == null) {
            assertThrows(PointNotSubmittedException.class,
                    () -> SyncObj.await(objs, points, flags, timeoutMs, TimeUnit.MILLISECONDS),
                    what);
        } else {
            assertEquals(want, SyncObj.await(objs, points, flags, timeoutMs,
                    TimeUnit.MILLISECONDS), what);
        }
        for (SyncObj o : objs) {
            assertEquals(0, o.waiterCount(), "no waiter left behind: " + what);
        }
    }

    @Test
    void single() throws Exception {
        for (State s : State.values()) {
            for (int flags : FLAG_SETS) {
                for (long point : new long[] {0, 1}) {
                    check(new State[] {s}, new long[] {point}, flags, 0);
                    check(new State[] {s}, new long[] {point}, flags, 5);
                }
            }
        }
    }

    @Test
    void multi() throws Exception {
        State[] all = State.values();
        long[] points = {1 + 37, 0, 1 + 512};
        for (State a : all) {
            for (State b : all) {
                for (State c : all) {
                    State[] states = {a, b, c};
                    for (int flags : FLAG_SETS) {
                        check(states, points, flags, 0);
                    }
                    // a short real wait on the paths that register waiters and callbacks
                    check(states, points, WAIT_ALL | WAIT_FOR_SUBMIT, 2);
                    check(states, points, WAIT_AVAILABLE, 2);
                }
            }
        }
    }
}
