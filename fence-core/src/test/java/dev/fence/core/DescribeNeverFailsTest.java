package dev.fence.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * describe() promises never to fail, because the forced signal of a released fence and the
 * handling of a failing enable hook describe the fence before they signal it. Before this test,
 * a name hook throwing an {@link Error} (a torn-down driver's {@link NoClassDefFoundError}) or
 * an exception whose {@code toString()} throws escaped from describe(): release() threw without
 * running the pending callback (its waiters would hang), and a failing enable hook left the
 * fence enabled but never signalled.
 */
@Timeout(10)
class DescribeNeverFailsTest {

    /** A driver fence whose name hooks throw what it is given. */
    static final class TornDownFence extends Fence {
        final AtomicInteger deallocated = new AtomicInteger();
        final RuntimeException enableFailure;
        final Throwable nameFailure;

        TornDownFence(Throwable nameFailure, RuntimeException enableFailure) {
            super(Fence.allocateContexts(1), 1);
            this.nameFailure = nameFailure;
            this.enableFailure = enableFailure;
        }

        private void fail() {
            if (nameFailure instanceof Error) {
                throw (Error) nameFailure;
            }
            throw (RuntimeException) nameFailure;
        }

        @Override
        public String timelineName() {
            fail();
            return "unreachable";
        }

        @Override
        public String driverName() {
            fail();
            return "unreachable";
        }

        @Override
        protected boolean enableSignalingHook() {
            if (enableFailure != null) {
                throw enableFailure;
            }
            return true;
        }

        @Override
        protected void deallocate() {
            deallocated.incrementAndGet();
        }
    }

    /** An exception whose message cannot be built. */
    static final class UnprintableException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        @Override
        public String getMessage() {
            throw new IllegalStateException("message source gone");
        }
    }

    @Test
    void aNameHookThrowingAnErrorDoesNotStopTheForcedSignalOfALastRelease() {
        TornDownFence f = new TornDownFence(new NoClassDefFoundError("driver unloaded"), null);
        List<Throwable> seen = new CopyOnWriteArrayList<>();
        f.onSignal(x -> seen.add(x.error()));
        assertTrue(f.release());
        assertEquals(1, seen.size(), "the pending callback did not run");
        assertInstanceOf(FenceReleasedException.class, seen.get(0));
        assertTrue(seen.get(0).getMessage().contains("<timelineName threw"),
                seen.get(0).getMessage());
        assertEquals(1, f.deallocated.get());
    }

    @Test
    void aNameHookThrowingAnErrorDoesNotStopTheSignalOfAFailedEnableHook()
            throws InterruptedException {
        RuntimeException boom = new IllegalStateException("arm failed");
        TornDownFence f = new TornDownFence(new NoClassDefFoundError("driver unloaded"), boom);
        CountingCallbackHolder cb = new CountingCallbackHolder();
        assertFalse(f.addCallback(cb), "the enable hook failed: the fence must have signalled");
        assertTrue(f.await(0, TimeUnit.SECONDS));
        assertSame(boom, f.error());
        assertTrue(f.describe().contains("<driverName threw java.lang.NoClassDefFoundError"),
                f.describe());
    }

    @Test
    void anUnprintableExceptionIsDescribedByItsClass() {
        TornDownFence f = new TornDownFence(new UnprintableException(), null);
        UnprintableException error = new UnprintableException();
        assertTrue(f.signal(error));
        String d = f.describe();
        assertTrue(d.contains("<timelineName threw " + UnprintableException.class.getName() + ">"),
                d);
        assertTrue(d.endsWith("signalled with error " + UnprintableException.class.getName()), d);
        assertTrue(f.toString().contains(d), f.toString());
    }

    /** A callback that must not run (the fence signals during addCallback). */
    static final class CountingCallbackHolder extends FenceCallback {
        final AtomicInteger runs = new AtomicInteger();

        @Override
        protected void onSignaled(Fence fence) {
            runs.incrementAndGet();
        }
    }
}
