import dev.fence.core.Fence;
import dev.fence.core.Timeline;
import java.util.concurrent.locks.LockSupport;

/**
 * Scratch row-11 ring. -Dring.pollSpins=N: the emitter polls isSignaled() N times before awaiting;
 * -Dring.recvSpins=N: the receiver polls issued N times before parking.
 */
public class RingX {
    static final int N = 256, MASK = N - 1;
    static final int POLL_SPINS = Integer.getInteger("ring.pollSpins", 0);
    static final int RECV_SPINS = Integer.getInteger("ring.recvSpins", 0);
    static volatile long issued;
    static volatile Thread parked;
    static volatile boolean stop;
    public static void main(String[] a) throws Exception {
        Timeline ring = Timeline.create("x");
        Fence[] slots = new Fence[N];
        long[] calls = new long[1], pts = new long[1], parks = new long[1];
        Thread recv = new Thread(() -> {
            long c = 0, p = 0, k = 0;
            while (!stop) {
                for (int q = 0; q < RECV_SPINS && issued <= ring.value(); q++) { Thread.onSpinWait(); }
                if (issued <= ring.value()) {
                    parked = Thread.currentThread();
                    if (issued <= ring.value()) { LockSupport.parkNanos(100_000); k++; }
                    parked = null;
                }
                long t = issued; long v = ring.value();
                if (t > v) { ring.signalUpTo(t); c++; p += t - v; }
            }
            calls[0] = c; pts[0] = p; parks[0] = k;
        });
        recv.start();
        long emitted = 0; long waits = 0; long longw = 0, midw = 0;
        long start = System.nanoTime(), end = start + 3_000_000_000L, mark = start + 1_000_000_000L;
        long e0 = 0; boolean marked = false;
        while (true) {
            long now = (emitted & 1023) == 0 ? System.nanoTime() : 0;
            if (now != 0) {
                if (!marked && now > mark) { marked = true; e0 = emitted; mark = now; }
                if (now > end) break;
            }
            int slot = (int) (emitted & MASK);
            Fence old = slots[slot];
            for (int k = 0; old != null && k < POLL_SPINS && !old.isSignaled(); k++) { Thread.onSpinWait(); }
            if (old != null && !old.isSignaled()) { waits++; long w0 = System.nanoTime(); old.awaitNanos(1_000_000_000L); long w = System.nanoTime() - w0; if (w > 10_000) longw++; else if (w > 1_000) midw++; }
            Fence job = ring.next();
            slots[slot] = job;
            issued = ++emitted;
            Thread p = parked;
            if (p != null) { parked = null; LockSupport.unpark(p); }
        }
        long dt = System.nanoTime() - mark;
        stop = true; recv.join();
        System.err.printf("jobs/s %.2fM  avg batch %.1f  signalUpTo calls %d  receiver parks %d  emitter waits %d (>10us %d, 1-10us %d)%n",
            (emitted - e0) * 1e9 / dt / 1e6, (double) pts[0] / calls[0], calls[0], parks[0], waits, longw, midw);
    }
}
