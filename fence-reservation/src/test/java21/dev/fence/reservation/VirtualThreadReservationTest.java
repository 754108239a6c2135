package dev.fence.reservation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fence.core.Fence;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Many virtual threads contend through {@link ExecContext} on few carriers: waiting parks (no
 * monitor is held), so the carriers keep running the lock holders and everything completes.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class VirtualThreadReservationTest {

    @ParameterizedTest
    @EnumSource(WwClass.Algorithm.class)
    void virtualThreadsLockRandomSubsets(WwClass.Algorithm alg) throws Exception {
        WwClass cls = WwClass.create("virtual", alg);
        Reservation[] resv = new Reservation[16];
        for (int i = 0; i < resv.length; i++) {
            resv[i] = new Reservation(cls, "v" + i);
        }
        int nthreads = 64;
        int rounds = 50;
        AtomicLong completed = new AtomicLong();
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        List<Thread> threads = new ArrayList<>();
        for (int n = 0; n < nthreads; n++) {
            Random rnd = new Random(7 + n);
            long context = Fence.allocateContexts(1);
            threads.add(Thread.ofVirtual().name("v-" + n).start(() -> {
                try {
                    for (int k = 1; k <= rounds; k++) {
                        List<Reservation> subset = new ArrayList<>();
                        for (Reservation r : resv) {
                            if (rnd.nextInt(4) == 0) {
                                subset.add(r);
                            }
                        }
                        Collections.shuffle(subset, rnd);
                        try (ExecContext exec = ExecContext.create(cls)) {
                            exec.lockAll(e -> {
                                for (Reservation r : subset) {
                                    e.prepare(r, 1);
                                }
                            });
                            Fence f = Fence.create(context, k);
                            exec.addFence(f, Usage.WRITE);
                            Thread.yield();
                            f.signal();
                        }
                        completed.incrementAndGet();
                    }
                } catch (Throwable e) {
                    errors.add(e);
                }
            }));
        }
        for (Thread t : threads) {
            assertTrue(t.join(java.time.Duration.ofSeconds(30)), t + " did not finish");
        }
        assertTrue(errors.isEmpty(), () -> "errors: " + errors);
        assertEquals((long) nthreads * rounds, completed.get());
        for (Reservation r : resv) {
            assertFalse(r.isLocked());
        }
    }
}
