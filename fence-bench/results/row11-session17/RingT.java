import dev.fence.core.Fence;
import dev.fence.core.Timeline;
import java.util.concurrent.locks.LockSupport;

/** Scratch: the row-11 parking ring, printing each 200 ms window: M jobs/s, points per signalUpTo, emitter waits, receiver parks. */
public class RingT {
    static final int N = 256, MASK = N - 1;
    static final int GAP = Integer.getInteger("ring.gap", 0);
    static volatile long issued;
    static volatile Thread parked;
    static volatile boolean stop;
    static volatile long calls, pts, parks; // receiver-written, read by the emitter for reports
    public static void main(String[] a) throws Exception {
        long secs = Long.parseLong(a.length > 0 ? a[0] : "6");
        Timeline ring = Timeline.create("x");
        Fence[] slots = new Fence[N];
        Thread recv = new Thread(() -> {
            long c = 0, p = 0, k = 0;
            while (!stop) {
                if (issued <= ring.value()) {
                    parked = Thread.currentThread();
                    if (issued <= ring.value()) { LockSupport.parkNanos(100_000); k++; parks = k; }
                    parked = null;
                }
                long t = issued; long v = ring.value();
                if (t > v) { ring.signalUpTo(t); c++; p += t - v; calls = c; pts = p; }
            }
        });
        recv.start();
        long emitted = 0, waits = 0, unparkNanos = 0, unparks = 0, wUn = 0, wUnN = 0;
        long start = System.nanoTime(), end = start + secs * 1_000_000_000L;
        long wStart = start, wEmit = 0, wWaits = 0, wCalls = 0, wPts = 0, wParks = 0;
        StringBuilder out = new StringBuilder();
        while (true) {
            if ((emitted & 1023) == 0) {
                long now = System.nanoTime();
                if (now - wStart >= 200_000_000L) {
                    long c = calls, p = pts, k = parks;
                    out.append(String.format("%5.1f M/s batch %6.1f waits %7d parks %6d unparks %6d unpark-us %6.1f share %4.2f%n",
                        (emitted - wEmit) * 1e3 / (now - wStart), (double) (p - wPts) / Math.max(1, c - wCalls), waits - wWaits, k - wParks, unparks - wUn, (unparkNanos - wUnN) / 1e3 / Math.max(1, unparks - wUn), (unparkNanos - wUnN) / (double) (now - wStart)));
                    wUn = unparks; wUnN = unparkNanos;
                    wStart = now; wEmit = emitted; wWaits = waits; wCalls = c; wPts = p; wParks = k;
                }
                if (now > end) break;
            }
            int slot = (int) (emitted & MASK);
            Fence old = slots[slot];
            if (old != null && !old.isSignaled()) {
                waits++;
                if (GAP > 0) {
                    for (int k = 0; k < 100_000 && !old.isSignaled(); k++) { for (int g = 0; g < GAP; g++) Thread.onSpinWait(); }
                }
                old.awaitNanos(1_000_000_000L);
            }
            Fence job = ring.next();
            slots[slot] = job;
            issued = ++emitted;
            Thread p = parked;
            if (p != null) { parked = null; long u0 = System.nanoTime(); LockSupport.unpark(p); unparkNanos += System.nanoTime() - u0; unparks++; }
        }
        stop = true; recv.join();
        System.out.print(out);
    }
}
