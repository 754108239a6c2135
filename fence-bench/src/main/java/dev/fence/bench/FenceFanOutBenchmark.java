package dev.fence.bench;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Row 8 of docs/benchmarks.md: fan-out. One signal releases {@code waiters} threads waiting on the
 * same fence (or {@link java.util.concurrent.CountDownLatch}); one operation is one broadcast
 * round: the benchmark thread fires the round's signal and returns when every waiter has passed
 * it. The acknowledgement is identical for both implementations (a shared counter; the last
 * waiter unparks the benchmark thread), so the difference is the wait and the wake. A fence
 * waiter spins (adaptively, up to {@code dev.fence.spinNanos}, one spinner per CPU) before it
 * parks, a latch waiter parks at once: with one waiter the fence's lead is mostly the wake-up
 * that the spin saves. With more waiters than CPUs most of them park on both sides, and a
 * fence's signaller unparks every parked waiter itself while AQS wakes shared waiters as a
 * daisy chain (each woken waiter wakes the next). {@link java.util.concurrent.CompletableFuture}
 * runs beside them as an information line: its waiters park at once (no spin since JDK 9), and
 * the completing thread and each waiter it wakes pop further waiters off the future's stack and
 * unpark them ({@code postComplete} runs in every woken waiter), a wake that spreads between them.
 * {@code SPIN_THEN_PARK}, another information line, is the hand-rolled alternative to a fence's
 * spin: every waiter spins up to the same ceiling on a volatile flag, then parks in a latch.
 *
 * <p>Rounds are linked like {@link FencePingPongBenchmark}'s: round {@code i + 1} is linked before
 * round {@code i} fires, so waiters move on to it without any other handoff. With more waiters
 * than CPUs this measures the scheduler as much as the primitive; the figures are what a user of
 * either primitive would see.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch"})
public class FenceFanOutBenchmark {

    @Param({"1", "4", "16", "64"})
    public int waiters;

    @Param({"FENCE", "COUNT_DOWN_LATCH", "COMPLETABLE_FUTURE", "SPIN_THEN_PARK"})
    public String impl;

    private OneShot.Impl shots;
    private Round current;
    private Thread[] threads;

    /** One broadcast: the signal, the acknowledgement count, who to wake, the next round. */
    private static final class Round {
        final OneShot go;
        final AtomicInteger remaining;
        Thread caller; // written before go fires
        Round next; // written before go fires

        Round(OneShot.Impl impl, int waiters) {
            go = impl.create();
            remaining = new AtomicInteger(waiters);
        }
    }

    @Setup(Level.Trial)
    public void setUp() {
        shots = OneShot.Impl.valueOf(impl);
        Round first = new Round(shots, waiters);
        current = first;
        threads = new Thread[waiters];
        for (int i = 0; i < waiters; i++) {
            Thread t = new Thread(() -> waitLoop(first), "fan-out-" + i);
            t.setDaemon(true);
            threads[i] = t;
            t.start();
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws InterruptedException {
        Round r = current;
        r.next = null; // waiters exit after this round
        r.caller = Thread.currentThread();
        r.go.fire();
        for (Thread t : threads) {
            t.join(TimeUnit.SECONDS.toMillis(10));
            if (t.isAlive()) {
                throw new IllegalStateException(t + " did not stop");
            }
        }
    }

    private static void waitLoop(Round r) {
        try {
            for (;;) {
                r.go.await();
                Round next = r.next;
                if (r.remaining.decrementAndGet() == 0) {
                    LockSupport.unpark(r.caller);
                }
                if (next == null) {
                    return;
                }
                r = next;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Benchmark
    public int broadcast() {
        Round r = current;
        Round next = new Round(shots, waiters);
        r.next = next;
        r.caller = Thread.currentThread();
        r.go.fire();
        while (r.remaining.get() != 0) {
            LockSupport.park(this);
        }
        current = next;
        return waiters;
    }
}

// How to run:
//   java -jar fence-bench/target/benchmarks.jar FenceFanOutBenchmark -f 1 -wi 2 -i 3 -prof gc
