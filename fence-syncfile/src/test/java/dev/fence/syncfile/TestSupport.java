package dev.fence.syncfile;

import dev.fence.core.Fence;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

/** Small helpers shared by the SyncObj tests. */
final class TestSupport {

    private TestSupport() {
    }

    static Fence fresh() {
        return Fence.create(Fence.allocateContexts(1), 1);
    }

    static Fence signalled() {
        Fence f = fresh();
        f.signal();
        return f;
    }

    /** Runs {@code task} in a new thread; the returned future reports its result. */
    static <T> FutureTask<T> async(String name, Callable<T> task) {
        FutureTask<T> ft = new FutureTask<>(task);
        Thread t = new Thread(ft, name);
        t.setDaemon(true);
        t.start();
        return ft;
    }

    /** Waits for a future, failing (not hanging) after 10 s. */
    static <T> T get(FutureTask<T> ft) throws Exception {
        try {
            return ft.get(10, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError("task did not finish in 10 s", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception) {
                throw (Exception) e.getCause();
            }
            throw e;
        }
    }

    /** Runs {@code action} after {@code millis} in another thread (a delay, not a verdict). */
    static Thread later(long millis, Runnable action) {
        Thread t = new Thread(() -> {
            try {
                Thread.sleep(millis);
            } catch (InterruptedException e) {
                return;
            }
            action.run();
        }, "later");
        t.setDaemon(true);
        t.start();
        return t;
    }

    /**
     * Retains {@code f} until its reference count is full (the next retain would overflow).
     *
     * @return how many references this took
     */
    static int retainUntilFull(Fence f) {
        int taken = 0;
        try {
            for (;;) {
                f.retain();
                taken++;
            }
        } catch (IllegalStateException expected) {
            return taken; // the count is full
        }
    }

    /** Waits until {@code obj} has {@code n} queued point waiters, failing after 10 s. */
    static void awaitWaiters(SyncObj obj, int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (obj.waiterCount() != n) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("expected " + n + " waiters, have " + obj.waiterCount());
            }
            Thread.sleep(1); // polling for a state, the verdict is the count
        }
    }

    /** Waits until {@code t} is parked (WAITING or TIMED_WAITING), failing after 10 s. */
    static void awaitParked(Thread t) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        for (;;) {
            Thread.State s = t.getState();
            if (s == Thread.State.WAITING || s == Thread.State.TIMED_WAITING) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("thread never parked: " + s);
            }
            Thread.sleep(1);
        }
    }

    /**
     * Waits until {@code t} is blocked in a native NIO call (a {@code select} or a blocking
     * channel read: its top frame is native, inside {@code sun.nio.ch}), failing after 10 s.
     * Such a thread reads RUNNABLE, so {@link #awaitParked} cannot see it block.
     */
    static void awaitInNativeIo(Thread t) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        for (;;) {
            StackTraceElement[] st = t.getStackTrace();
            if (st.length > 0 && st[0].isNativeMethod()) {
                for (StackTraceElement e : st) {
                    if (e.getClassName().startsWith("sun.nio.ch.")) {
                        return;
                    }
                }
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("thread never blocked in NIO: " + t.getState());
            }
            Thread.sleep(1); // polling for a state, the verdict is the stack
        }
    }

    /** Spins for a random 0 to {@code maxNanos} ns (pacing a race, not a verdict). */
    static void spinRandomly(int maxNanos) {
        long until = System.nanoTime() + ThreadLocalRandom.current().nextInt(maxNanos);
        while (System.nanoTime() - until < 0) {
            Thread.onSpinWait();
        }
    }

    /**
     * A second thread for races whose window is a few instructions: it spins until it is handed
     * a step and runs it at once. A latch or barrier wakes a parked thread tens of microseconds
     * after the releasing thread has moved on, so the two sides of such a race almost never
     * overlap; a spinning partner starts a cross-CPU hand-over (a few hundred ns) after
     * {@link #start}, and the caller places its own step around that with
     * {@link #spinRandomly}. The partner spins while the test runs: keep such tests short.
     */
    static final class Partner implements AutoCloseable {
        private final AtomicReference<Runnable> step = new AtomicReference<>();
        private final AtomicReference<Throwable> failure = new AtomicReference<>();
        private final Thread thread;
        private volatile boolean stop;

        Partner(String name) {
            thread = new Thread(this::loop, name);
            thread.setDaemon(true);
            thread.start();
        }

        private void loop() {
            while (!stop) {
                Runnable r = step.get();
                if (r == null) {
                    Thread.onSpinWait();
                    continue;
                }
                try {
                    r.run();
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
                step.set(null); // done: join() returns
            }
        }

        /** Hands {@code r} to the partner, which runs it as soon as it sees it. */
        void start(Runnable r) {
            step.set(r);
        }

        /** Waits until the step handed over has run, failing (not hanging) after 10 s. */
        void join() {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (step.get() != null) {
                if (System.nanoTime() - deadline > 0) {
                    throw new AssertionError("the partner's step did not finish in 10 s");
                }
                Thread.yield(); // the partner may need this CPU on a loaded machine
            }
            Throwable t = failure.get();
            if (t != null) {
                throw new AssertionError("the partner's step failed", t);
            }
        }

        @Override
        public void close() {
            stop = true;
            try {
                thread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // a daemon: the JVM does not wait for it
            }
        }
    }
}
