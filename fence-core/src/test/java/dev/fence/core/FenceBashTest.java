package dev.fence.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Phaser;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Many-thread bash tests, one per primitive: signallers, waiters, callback adders and removers
 * race over rounds of fresh fences for about a second each. Callback nodes are reused across
 * rounds (and moved between fences by the remover), so the add / remove / re-add / run races on
 * reusable nodes are exercised. After every round: every add attempt is accounted for exactly
 * once (added and then either ran or removed, or refused because the fence had signalled), no
 * node ran twice or for the wrong fence, nothing is left queued, every waiter returned.
 */
class FenceBashTest {

    static final long BUDGET_NANOS = TimeUnit.MILLISECONDS.toNanos(1100);
    static final int SIGNALLERS = 2;
    static final int WAITERS = 2;
    static final int ADDERS = 2;
    static final int REMOVERS = 1;
    static final int NODES_PER_ADDER = 40;
    static final int LEAVES = 24;

    /** One round of one primitive. */
    interface Round {
        /** Fences callbacks are added to and waiters wait on. */
        Fence[] targets();

        /** One signaller's pass; together the passes signal everything. Returns won signals. */
        int signal(int signallerId, Random rnd);

        /** Expected total of won signals across signallers, or -1 if not counted. */
        int expectedWins();

        /** A waiter's optional extra step (e.g. FenceChain.find); may return a fence to wait on. */
        default Fence extraWaitTarget(Random rnd) {
            return null;
        }

        /** Primitive-specific checks once every signaller is done. */
        void verify();
    }

    interface RoundFactory {
        Round create(Random rnd);
    }

    /** A reusable, counting callback node. */
    static final class Node extends FenceCallback {
        final AtomicInteger attempts = new AtomicInteger();
        final AtomicInteger addsOk = new AtomicInteger();
        final AtomicInteger addsFalse = new AtomicInteger();
        final AtomicInteger removes = new AtomicInteger();
        final AtomicInteger runs = new AtomicInteger();
        final AtomicInteger wrongFence = new AtomicInteger();
        volatile Fence target;
        volatile Round round;

        void reset(Round r) {
            attempts.set(0);
            addsOk.set(0);
            addsFalse.set(0);
            removes.set(0);
            runs.set(0);
            wrongFence.set(0);
            target = null;
            round = r;
        }

        void tryAdd(Fence f) {
            target = f;
            attempts.incrementAndGet();
            if (f.addCallback(this)) {
                addsOk.incrementAndGet();
            } else {
                addsFalse.incrementAndGet();
            }
        }

        @Override
        protected void onSignaled(Fence fence) {
            if (fence != target) {
                wrongFence.incrementAndGet();
            }
            runs.incrementAndGet();
        }

        @Override
        public String toString() {
            return "node attempts=" + attempts + " ok=" + addsOk + " refused=" + addsFalse
                    + " removed=" + removes + " ran=" + runs + " wrong=" + wrongFence
                    + " queued=" + isQueued();
        }
    }

    /** Runs the bash for one primitive and returns the number of rounds. */
    static int bash(RoundFactory factory) throws InterruptedException {
        int workers = SIGNALLERS + WAITERS + ADDERS + REMOVERS;
        Phaser phaser = new Phaser(workers + 1);
        AtomicReference<Round> current = new AtomicReference<>();
        Node[][] nodes = new Node[ADDERS][NODES_PER_ADDER];
        List<Node> allNodes = new ArrayList<>();
        for (Node[] row : nodes) {
            for (int i = 0; i < row.length; i++) {
                row[i] = new Node();
                allNodes.add(row[i]);
            }
        }
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        AtomicInteger wins = new AtomicInteger();
        AtomicLong waits = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < workers; w++) {
            int id = w;
            Thread t = new Thread(() -> {
                Random rnd = new Random(ThreadLocalRandom.current().nextLong());
                for (;;) {
                    phaser.arriveAndAwaitAdvance(); // round start (main published it)
                    Round r = current.get();
                    if (r == null) {
                        return;
                    }
                    try {
                        if (id < SIGNALLERS) {
                            wins.addAndGet(r.signal(id, rnd));
                        } else if (id < SIGNALLERS + WAITERS) {
                            waitSome(r, rnd, waits);
                        } else if (id < SIGNALLERS + WAITERS + ADDERS) {
                            addAll(r, nodes[id - SIGNALLERS - WAITERS], rnd);
                        } else {
                            removeSome(r, allNodes, rnd);
                        }
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                    phaser.arriveAndAwaitAdvance(); // round end
                }
            }, "bash-" + w);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
        Random rnd = new Random(42);
        long end = System.nanoTime() + BUDGET_NANOS;
        int rounds = 0;
        try {
            while ((rounds == 0 || System.nanoTime() - end < 0) && failures.isEmpty()) {
                Round r = factory.create(rnd);
                for (Node n : allNodes) {
                    n.reset(r);
                }
                wins.set(0);
                current.set(r);
                phaser.arriveAndAwaitAdvance();
                awaitPhase(phaser);
                rounds++;
                if (!failures.isEmpty()) {
                    break;
                }
                verifyRound(r, allNodes, wins.get());
            }
        } finally {
            current.set(null);
            phaser.arrive();
            long joinDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            for (Thread t : threads) {
                long leftNanos = joinDeadline - System.nanoTime();
                t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(leftNanos)));
            }
        }
        if (!failures.isEmpty()) {
            AssertionError e = new AssertionError(
                    "bash failed after " + rounds + " rounds: " + failures.peek(), failures.peek());
            failures.stream().skip(1).limit(5).forEach(e::addSuppressed);
            throw e;
        }
        assertTrue(rounds > 0);
        assertTrue(waits.get() > 0, "waiters waited");
        return rounds;
    }

    /** Waits for the end-of-round phase with a hang guard. */
    private static void awaitPhase(Phaser phaser) {
        int phase = phaser.arrive();
        try {
            phaser.awaitAdvanceInterruptibly(phase, 20, TimeUnit.SECONDS);
        } catch (Exception e) {
            fail("a bash round did not finish: a waiter or signaller hung", e);
        }
    }

    private static void waitSome(Round r, Random rnd, AtomicLong waits)
            throws InterruptedException {
        Fence[] ts = r.targets();
        for (int i = 0; i < 6; i++) {
            Fence t = ts[rnd.nextInt(ts.length)];
            switch (rnd.nextInt(5)) {
                case 0:
                    t.await();
                    break;
                case 1:
                    assertTrue(t.await(30, TimeUnit.SECONDS), "timed waiter timed out");
                    break;
                case 2:
                    t.awaitUninterruptibly();
                    break;
                case 3: {
                    Fence u = ts[rnd.nextInt(ts.length)];
                    int idx = Fences.awaitAny(30, TimeUnit.SECONDS, t, u);
                    assertTrue(idx == 0 || idx == 1, "awaitAny timed out");
                    assertTrue((idx == 0 ? t : u).isSignaled());
                    t = u.isSignaled() ? u : t;
                    break;
                }
                default: {
                    Fence extra = r.extraWaitTarget(rnd);
                    if (extra != null) {
                        t = extra;
                    }
                    assertTrue(t.awaitNanos(TimeUnit.SECONDS.toNanos(30)) > 0,
                            "awaitNanos timed out");
                    break;
                }
            }
            assertTrue(t.isSignaled(), "a wait returned before its fence signalled");
            waits.incrementAndGet();
        }
    }

    private static void addAll(Round r, Node[] mine, Random rnd) {
        Fence[] ts = r.targets();
        for (Node n : mine) {
            n.tryAdd(ts[rnd.nextInt(ts.length)]);
            if (rnd.nextInt(8) == 0) {
                Thread.yield();
            }
        }
    }

    private static void removeSome(Round r, List<Node> allNodes, Random rnd) {
        Fence[] ts = r.targets();
        List<Node> order = new ArrayList<>(allNodes);
        for (int pass = 0; pass < 2; pass++) {
            Collections.shuffle(order, rnd);
            for (Node n : order) {
                Fence t = n.target;
                boolean own = t != null && rnd.nextInt(4) != 0;
                Fence from = own ? t : ts[rnd.nextInt(ts.length)];
                if (from.removeCallback(n)) {
                    n.removes.incrementAndGet();
                    if (from != n.target) {
                        n.wrongFence.incrementAndGet();
                    }
                    if (rnd.nextInt(3) == 0) {
                        n.tryAdd(ts[rnd.nextInt(ts.length)]); // move the node to another fence
                    }
                }
            }
        }
    }

    private static void verifyRound(Round r, List<Node> nodes, int wins) {
        r.verify();
        for (Fence t : r.targets()) {
            assertTrue(t.isSignaled(), () -> "target not signalled: " + t.describe());
            assertFalse(t.hasCallbacks(), "nothing left queued");
        }
        if (r.expectedWins() >= 0) {
            assertEquals(r.expectedWins(), wins,
                    "every fence signalled by exactly one winning call");
        }
        for (Node n : nodes) {
            assertEquals(n.attempts.get(), n.addsOk.get() + n.addsFalse.get(), n::toString);
            assertEquals(n.addsOk.get(), n.removes.get() + n.runs.get(),
                    () -> "every queued callback ran xor was removed: " + n);
            assertEquals(0, n.wrongFence.get(), n::toString);
            assertFalse(n.isQueued(), n::toString);
            assertTrue(n.attempts.get() >= 1, n::toString);
        }
    }

    // ------------------------------------------------------------------------------------------

    static Fence[] leaves(int n) {
        Fence[] f = new Fence[n];
        for (int i = 0; i < n; i++) {
            f[i] = TestSupport.mockFence();
        }
        return f;
    }

    /** Each signaller tries every leaf in its own random order; some signal with an error. */
    static int signalLeaves(Fence[] leaves, Random rnd) {
        List<Fence> order = new ArrayList<>(List.of(leaves));
        Collections.shuffle(order, rnd);
        int won = 0;
        for (Fence f : order) {
            boolean w = rnd.nextInt(6) == 0
                    ? f.signal(new RuntimeException("bash error"))
                    : f.signal();
            if (w) {
                won++;
            }
            if (rnd.nextInt(4) == 0) {
                Thread.yield();
            }
        }
        return won;
    }

    @Test
    void bashFence() throws InterruptedException {
        bash(rnd -> {
            Fence[] leaves = leaves(LEAVES);
            return new Round() {
                @Override
                public Fence[] targets() {
                    return leaves;
                }

                @Override
                public int signal(int id, Random r) {
                    return signalLeaves(leaves, r);
                }

                @Override
                public int expectedWins() {
                    return leaves.length;
                }

                @Override
                public void verify() {
                    for (Fence f : leaves) {
                        assertTrue(f.isSignaled());
                    }
                }
            };
        });
    }

    @Test
    void bashFenceArray() throws InterruptedException {
        bash(rnd -> {
            Fence[] leaves = leaves(LEAVES);
            FenceArray[] arrays = new FenceArray[LEAVES / 2];
            for (int i = 0; i < arrays.length; i++) {
                List<Fence> pool = new ArrayList<>(List.of(leaves));
                Collections.shuffle(pool, rnd);
                Fence[] members = pool.subList(0, 1 + rnd.nextInt(4)).toArray(new Fence[0]);
                arrays[i] = rnd.nextBoolean() ? FenceArray.all(members) : FenceArray.any(members);
            }
            return new Round() {
                @Override
                public Fence[] targets() {
                    return arrays;
                }

                @Override
                public int signal(int id, Random r) {
                    return signalLeaves(leaves, r);
                }

                @Override
                public int expectedWins() {
                    return leaves.length;
                }

                @Override
                public void verify() {
                    for (FenceArray a : arrays) {
                        assertTrue(a.isSignaled(),
                                "every member signalled (polls untouched arrays)");
                        Throwable e = a.error();
                        if (e != null) {
                            assertTrue(a.fences().stream().anyMatch(m -> m.error() == e),
                                    "an array's error comes from one of its members");
                        } else if (!a.signalOnAny()) {
                            assertTrue(a.fences().stream().allMatch(m -> m.error() == null),
                                    "an all-array carries a member error");
                        }
                    }
                }
            };
        });
    }

    @Test
    void bashFenceChain() throws InterruptedException {
        bash(rnd -> {
            Fence[] leaves = leaves(LEAVES);
            FenceChain[] links = new FenceChain[LEAVES];
            FenceChain head = null;
            for (int i = 0; i < LEAVES; i++) {
                head = FenceChain.link(head, leaves[i], i + 1);
                links[i] = head;
            }
            FenceChain last = head;
            return new Round() {
                @Override
                public Fence[] targets() {
                    return links;
                }

                @Override
                public int signal(int id, Random r) {
                    return signalLeaves(leaves, r);
                }

                @Override
                public int expectedWins() {
                    return leaves.length;
                }

                @Override
                public Fence extraWaitTarget(Random r) {
                    long point = 1 + r.nextInt(LEAVES);
                    Fence f = FenceChain.find(last, point);
                    assertTrue(f == Fence.signaledStub() || f.context() == last.context());
                    return f;
                }

                @Override
                public void verify() {
                    for (int i = 0; i < links.length; i++) {
                        assertTrue(links[i].isSignaled());
                    }
                    assertTrue(FenceChain.find(last, 1).isSignaled());
                }
            };
        });
    }

    @Test
    void bashTimeline() throws InterruptedException {
        bash(rnd -> {
            Timeline tl = Timeline.create("bash");
            Fence[] points = new Fence[LEAVES];
            AtomicInteger early = new AtomicInteger();
            long max = 0;
            for (int i = 0; i < points.length; i++) {
                points[i] = rnd.nextInt(4) == 0 ? tl.fenceAt(1 + rnd.nextInt(LEAVES)) : tl.next();
                max = Math.max(max, points[i].seqno());
                points[i].onSignal(f -> {
                    if (tl.value() < f.seqno()) {
                        early.incrementAndGet();
                    }
                });
            }
            long top = max;
            return new Round() {
                @Override
                public Fence[] targets() {
                    return points;
                }

                @Override
                public int signal(int id, Random r) {
                    while (tl.value() < top) {
                        if (id == 0) {
                            tl.signalUpTo(tl.value() + 1 + r.nextInt(3));
                        } else {
                            tl.advance(1);
                        }
                        if (r.nextInt(3) == 0) {
                            Thread.yield();
                        }
                    }
                    return 0;
                }

                @Override
                public int expectedWins() {
                    return -1;
                }

                @Override
                public void verify() {
                    assertTrue(tl.value() >= top);
                    assertEquals(0, early.get(),
                            "a point signalled before the timeline reached it");
                }
            };
        });
    }
}
