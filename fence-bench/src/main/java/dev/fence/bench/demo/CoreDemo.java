package dev.fence.bench.demo;

import dev.fence.core.Fence;
import dev.fence.core.FenceCallback;
import dev.fence.core.Fences;
import dev.fence.core.Timeline;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A small core-only demo, kept until the full pipeline demo lands: the seed's simulated GPU ring
 * of 256 in-flight fences on a {@link Timeline}. The emitter waits for the fence occupying its
 * slot before reusing it; the "GPU" thread completes jobs in order, a few at a time.
 */
public final class CoreDemo {

    private CoreDemo() {
    }

    /**
     * Runs the demo.
     *
     * @param args {@code [seconds]}, default 3
     * @throws InterruptedException if interrupted
     */
    public static void main(String[] args) throws InterruptedException {
        long seconds = args.length > 0 ? Long.parseLong(args[0]) : 3L;
        Timeline ring = Timeline.create("gpu-ring");
        Fence[] slots = new Fence[256];
        AtomicLong issued = new AtomicLong();
        AtomicLong retired = new AtomicLong();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        AtomicBoolean emitterDone = new AtomicBoolean();
        Thread gpu = new Thread(() -> {
            // run until the emitter has stopped and every job it issued is complete
            while (!emitterDone.get() || ring.value() < issued.get()) {
                long target = Math.min(ring.value() + 1 + ThreadLocalRandom.current().nextInt(8),
                        issued.get());
                if (target > ring.value()) {
                    ring.signalUpTo(target);
                } else {
                    Thread.onSpinWait();
                }
            }
        }, "gpu");
        gpu.start();
        while (System.nanoTime() < end) {
            long n = issued.get();
            int slot = (int) (n & 255);
            if (slots[slot] != null) {
                slots[slot].await(); // ring full: wait for the job that owns this slot
            }
            Fence job = ring.next();
            job.addCallback(new FenceCallback() {
                @Override
                protected void onSignaled(Fence fence) {
                    retired.incrementAndGet();
                }
            });
            slots[slot] = job;
            issued.incrementAndGet(); // publishes the job to the GPU thread
        }
        emitterDone.set(true); // after the last increment: the GPU thread sees every job
        gpu.join();
        boolean drained = Fences.awaitAll(1, TimeUnit.SECONDS, nonNull(slots));
        System.out.printf("emitted %,d jobs in %d s (%,.0f fences/s), retired %,d, drained %b, "
                        + "timeline value %d, callback failures %d%n",
                issued.get(), seconds, issued.get() / (double) seconds, retired.get(), drained,
                ring.value(), Fences.callbackFailures());
    }

    private static Fence[] nonNull(Fence[] slots) {
        return java.util.Arrays.stream(slots).filter(java.util.Objects::nonNull)
                .toArray(Fence[]::new);
    }
}
