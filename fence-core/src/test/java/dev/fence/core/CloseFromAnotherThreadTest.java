package dev.fence.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link CallbackDeferral#close()} and (in debug mode) {@link SignallingSection#close()} document
 * an {@link IllegalStateException} when called from a thread other than the opener. Both checked
 * their {@code closed} flag first, so once the owner had closed, a foreign close returned
 * silently (and read the owner's plain field without synchronisation); the misuse went
 * unreported exactly when the two closes raced the other way. Before: no exception (both tests
 * failed with "null").
 */
@Timeout(10)
class CloseFromAnotherThreadTest {

    private static Throwable closeInAnotherThread(AutoCloseable c) throws InterruptedException {
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                c.close();
            } catch (Throwable e) {
                thrown.set(e);
            }
        }, "foreign-closer");
        t.start();
        TestSupport.join(t);
        return thrown.get();
    }

    @Test
    void deferralClosedByItsOwnerIsStillRefusedToAnotherThread() throws InterruptedException {
        CallbackDeferral d = CallbackDeferral.begin();
        d.close();
        Throwable e = closeInAnotherThread(d);
        assertTrue(e instanceof IllegalStateException, String.valueOf(e));
        d.close(); // the owner's second close stays harmless
        Fence f = TestSupport.mockFence();
        TestSupport.CountingCallback cb = new TestSupport.CountingCallback();
        f.addCallback(cb);
        f.signal();
        assertEquals(1, cb.runs(), "this thread runs callbacks at once again");
    }

    @Test
    @Tag("debug")
    void sectionClosedByItsOwnerIsStillRefusedToAnotherThread() throws InterruptedException {
        assertTrue(FenceThread.DEBUG, "this group must run with -Ddev.fence.debug=true");
        SignallingSection s = SignallingSection.begin();
        s.close();
        Throwable e = closeInAnotherThread(s);
        assertTrue(e instanceof IllegalStateException, String.valueOf(e));
        s.close();
        assertFalse(SignallingSection.active());
    }
}
