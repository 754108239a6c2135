package dev.fence.bench;

import java.util.concurrent.TimeUnit;
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
 * Row 6 of docs/benchmarks.md: a two-thread round trip. The benchmark thread signals a "ping",
 * an echo thread waiting for it signals a "pong", and the benchmark thread waits for the pong;
 * one operation is one full round trip, sampled ({@link Mode#SampleTime}) so the JSON carries the
 * median and tail percentiles.
 *
 * <p>Every round uses fresh one-shot objects (a fence cannot be reset, nor can a
 * CompletableFuture or CountDownLatch), linked as a list: before firing round {@code i}'s ping,
 * the benchmark thread links round {@code i + 1}, and the echo thread reads that link after its
 * wait returns (the signal/wait pair orders it). {@code impl} selects the primitive:
 * {@code FENCE}, {@code COMPLETABLE_FUTURE} ({@code complete}/{@code join}),
 * {@code COUNT_DOWN_LATCH}, and two raw baselines with no objects at all: {@code PARK} (volatile
 * sequence + {@code LockSupport.unpark}/{@code park}, unconditionally unparking) and
 * {@code SPIN} (volatile sequence, {@code Thread.onSpinWait()} busy wait on both sides); and
 * {@code SPIN_THEN_PARK}, a hand-rolled latch that spins up to the fence's ceiling before it parks.
 *
 * <p>Uses exactly two threads: on the 2-CPU reference machine any third runnable thread (a
 * compiler on a shared box) shows up in the tails.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch"})
public class FencePingPongBenchmark {

    @Param({"FENCE", "COMPLETABLE_FUTURE", "COUNT_DOWN_LATCH", "PARK", "SPIN", "SPIN_THEN_PARK"})
    public String impl;

    private OneShot.Impl shots;
    private Round current;
    private Thread echo;
    private volatile boolean running;

    // raw baselines
    private boolean parkMode;
    private long seq;
    private volatile long ping;
    private volatile long pong;
    private volatile Thread caller;

    /** One round: the ping the echo thread waits for, the pong it answers, the next round. */
    private static final class Round {
        final OneShot ping;
        final OneShot pong;
        Round next; // written before ping fires, read after ping's wait returns

        Round(OneShot.Impl impl) {
            ping = impl.create();
            pong = impl.create();
        }
    }

    @Setup(Level.Trial)
    public void setUp() {
        running = true;
        parkMode = impl.equals("PARK");
        Runnable loop;
        switch (impl) {
            case "PARK":
                loop = () -> rawEcho(true);
                break;
            case "SPIN":
                loop = () -> rawEcho(false);
                break;
            default:
                shots = OneShot.Impl.valueOf(impl);
                Round first = new Round(shots);
                current = first;
                loop = () -> roundEcho(first);
        }
        echo = new Thread(loop, "echo-" + impl);
        echo.setDaemon(true);
        echo.start();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws InterruptedException {
        running = false;
        if (current != null) {
            current.next = null; // the echo thread exits after answering this round
            current.ping.fire();
        }
        LockSupport.unpark(echo);
        echo.join(TimeUnit.SECONDS.toMillis(10));
        if (echo.isAlive()) {
            throw new IllegalStateException("echo thread did not stop");
        }
    }

    private static void roundEcho(Round r) {
        try {
            for (;;) {
                r.ping.await();
                Round next = r.next;
                r.pong.fire();
                if (next == null) {
                    return;
                }
                r = next;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void rawEcho(boolean park) {
        long seen = 0;
        while (running) {
            long p = ping;
            if (p == seen) {
                if (park) {
                    LockSupport.park(this);
                } else {
                    Thread.onSpinWait();
                }
                continue;
            }
            seen = p;
            pong = p;
            if (park) {
                LockSupport.unpark(caller);
            }
        }
    }

    @Benchmark
    public long roundTrip() throws InterruptedException {
        Round r = current;
        if (r == null) {
            return rawRoundTrip();
        }
        Round next = new Round(shots);
        r.next = next;
        r.ping.fire();
        r.pong.await();
        current = next;
        return 1L;
    }

    private long rawRoundTrip() {
        long s = ++seq;
        if (parkMode) {
            caller = Thread.currentThread();
            ping = s;
            LockSupport.unpark(echo);
            while (pong != s) {
                LockSupport.park(this);
            }
        } else {
            ping = s;
            while (pong != s) {
                Thread.onSpinWait();
            }
        }
        return s;
    }
}

// How to run:
//   java -jar fence-bench/target/benchmarks.jar FencePingPongBenchmark -f 1 -wi 2 -i 3 -prof gc
