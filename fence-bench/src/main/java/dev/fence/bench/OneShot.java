package dev.fence.bench;

import dev.fence.core.Fence;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;

/**
 * The smallest facade over a one-shot signal, so cross-thread benchmarks run the same harness
 * code over a {@link Fence} and over its peers (practice 21 of STYLE-ANCHORS).
 */
abstract class OneShot {

    /** Completes the signal. */
    abstract void fire();

    /**
     * Waits until {@link #fire()} has been called.
     *
     * @throws InterruptedException if interrupted
     */
    abstract void await() throws InterruptedException;

    /** The implementations compared. */
    enum Impl {
        FENCE {
            @Override
            OneShot create() {
                return new FenceShot();
            }
        },
        COMPLETABLE_FUTURE {
            @Override
            OneShot create() {
                return new FutureShot();
            }
        },
        COUNT_DOWN_LATCH {
            @Override
            OneShot create() {
                return new LatchShot();
            }
        },
        /**
         * The latch a user would write to get a fence's spin without the library: every waiter
         * spins on a volatile flag for up to the fence's own spin ceiling, then parks in a
         * {@link CountDownLatch}. Unlike a fence it has no per-thread budget and no cap on
         * spinners, so with more waiters than CPUs the spinners take the CPUs the others need.
         */
        SPIN_THEN_PARK {
            @Override
            OneShot create() {
                return new SpinLatchShot();
            }
        };

        abstract OneShot create();
    }

    private static final long CONTEXT = Fence.allocateContexts(1);

    /** The fence's spin ceiling, read from the same property with the same default. */
    private static final long SPIN_NANOS = Long.getLong("dev.fence.spinNanos", 20_000L);

    private static final class FenceShot extends OneShot {
        private final Fence fence = Fence.create(CONTEXT, 1);

        @Override
        void fire() {
            fence.signal();
        }

        @Override
        void await() throws InterruptedException {
            fence.await();
        }
    }

    private static final class FutureShot extends OneShot {
        private final CompletableFuture<Void> future = new CompletableFuture<>();

        @Override
        void fire() {
            future.complete(null);
        }

        @Override
        void await() {
            future.join();
        }
    }

    private static final class LatchShot extends OneShot {
        private final CountDownLatch latch = new CountDownLatch(1);

        @Override
        void fire() {
            latch.countDown();
        }

        @Override
        void await() throws InterruptedException {
            latch.await();
        }
    }

    private static final class SpinLatchShot extends OneShot {
        private final CountDownLatch latch = new CountDownLatch(1);
        private volatile boolean fired;

        @Override
        void fire() {
            fired = true;
            latch.countDown();
        }

        @Override
        void await() throws InterruptedException {
            long start = System.nanoTime();
            while (!fired) {
                if (System.nanoTime() - start >= SPIN_NANOS) {
                    latch.await();
                    return;
                }
                Thread.onSpinWait();
            }
        }
    }
}
