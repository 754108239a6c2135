import dev.fence.core.Fence;
import dev.fence.core.Timeline;
import java.util.concurrent.locks.LockSupport;

/** Scratch: thread A's own work rate while thread B is absent, spins, parks in a timed loop, or is parked and unparked by A. */
public class Interf {
    static volatile boolean stop;
    static volatile Thread bThread;
    public static void main(String[] a) throws Exception {
        String mode = a[0];
        long parkNs = Long.parseLong(a.length > 1 ? a[1] : "20000");
        Thread b = null;
        if (!mode.equals("none")) {
            b = new Thread(() -> {
                bThread = Thread.currentThread();
                long x = 0;
                while (!stop) {
                    if (mode.equals("spin")) { Thread.onSpinWait(); x++; }
                    else LockSupport.parkNanos(parkNs);
                }
            });
            b.start();
        }
        Timeline tl = Timeline.create("a");
        Fence[] slots = new Fence[256];
        long n = 0, sink = 0;
        for (int rep = 0; rep < 8; rep++) {
            long t0 = System.nanoTime(), un = 0, unN = 0;
            long jobs = 0;
            while (System.nanoTime() - t0 < 500_000_000L) {
                for (int i = 0; i < 64; i++) {
                    Fence f = tl.next();
                    slots[(int) (n++ & 255)] = f;
                }
                tl.signalUpTo(n);
                jobs += 64;
                if (mode.equals("unpark")) { long u0 = System.nanoTime(); LockSupport.unpark(bThread); unN += System.nanoTime() - u0; un++; }
            }
            long dt = System.nanoTime() - t0;
            System.out.printf("%s: %.1f ns/job (unpark share %.2f)%n", mode, dt / (double) jobs, unN / (double) dt);
        }
        stop = true;
        if (b != null) { LockSupport.unpark(b); b.join(); }
    }
}
