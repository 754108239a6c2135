public class Probe {
    static final class Cell { long p0,p1,p2,p3,p4,p5,p6,p7; volatile long v; long q0,q1,q2,q3,q4,q5,q6,q7; }
    public static void main(String[] a) throws Exception {
        Cell ping = new Cell(), pong = new Cell();
        int n = 300_000;
        Thread t = new Thread(() -> { for (int i = 1; i <= n; i++) { while (ping.v != i) { Thread.onSpinWait(); } pong.v = i; } });
        t.start();
        // warm
        long best = Long.MAX_VALUE;
        for (int r = 0; r < 3; r++) {
            long t0 = System.nanoTime();
            for (int i = r * (n / 3) + 1; i <= (r + 1) * (n / 3); i++) { ping.v = i; while (pong.v != i) { Thread.onSpinWait(); } }
            long dt = (System.nanoTime() - t0) / (n / 3);
            best = Math.min(best, dt);
        }
        t.join();
        System.out.println("rt " + best + " ns");
    }
}
