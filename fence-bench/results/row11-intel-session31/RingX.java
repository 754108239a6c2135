import dev.fence.core.Fence;
import dev.fence.core.Timeline;
import java.util.concurrent.locks.LockSupport;

/**
 * Scratch (session 31): the row-11 parking ring with parts switched off; prints M jobs/s per
 * second.
 */
public class RingX {
    static final int N = 256, MASK = N - 1;
    static final boolean RECV_SPIN = Boolean.getBoolean("ring.recvSpin");
    static final boolean NO_CHECK = Boolean.getBoolean("ring.noCheck");
    static final boolean NO_SIGNAL_WAIT = Boolean.getBoolean("ring.noUnpark");
    static volatile long issued;
    static volatile Thread parked;
    static volatile boolean stop;
    public static void main(String[] a) throws Exception {
        long secs = Long.parseLong(a.length > 0 ? a[0] : "5");
        Timeline ring = Timeline.create("x");
        Fence[] slots = new Fence[N];
        Thread recv = new Thread(() -> {
            while (!stop) {
                if (issued <= ring.value()) {
                    if (RECV_SPIN) {
                        Thread.onSpinWait();
                        continue;
                    }
                    parked = Thread.currentThread();
                    if (issued <= ring.value()) {
                        LockSupport.parkNanos(100_000);
                    }
                    parked = null;
                }
                long t = issued;
                if (t > ring.value()) {
                    ring.signalUpTo(t);
                }
            }
        });
        recv.start();
        long emitted = 0;
        long start = System.nanoTime(), end = start + secs * 1_000_000_000L, w = start, we = 0;
        StringBuilder out = new StringBuilder();
        while (true) {
            if ((emitted & 4095) == 0) {
                long now = System.nanoTime();
                if (now - w >= 1_000_000_000L) {
                    out.append(String.format(" %.1f", (emitted - we) * 1e3 / (now - w)));
                    w = now; we = emitted;
                }
                if (now > end) break;
            }
            int slot = (int) (emitted & MASK);
            Fence old = slots[slot];
            if (!NO_CHECK && old != null && !old.isSignaled()) {
                old.awaitNanos(1_000_000_000L);
            }
            Fence job = ring.next();
            slots[slot] = job;
            issued = ++emitted;
            if (!RECV_SPIN && !NO_SIGNAL_WAIT) {
                Thread p = parked;
                if (p != null) { parked = null; LockSupport.unpark(p); }
            }
        }
        stop = true; LockSupport.unpark(recv); recv.join();
        System.out.println(String.join(",", a.length > 1 ? a[1] : "base") + ":" + out);
    }
}
