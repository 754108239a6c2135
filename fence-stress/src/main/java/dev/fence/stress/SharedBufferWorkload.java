package dev.fence.stress;

import dev.fence.core.Fence;
import dev.fence.core.FenceArray;
import dev.fence.core.FenceCallback;
import dev.fence.core.Fences;
import dev.fence.reservation.Reservation;
import dev.fence.reservation.SharedBuffer;
import dev.fence.reservation.SharedBuffer.Direction;
import dev.fence.reservation.Usage;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.random.RandomGenerator;

/**
 * fence-reservation's {@link SharedBuffer} under load: CPU writers ({@code beginCpuAccess}
 * WRITE or READ_WRITE, fill the buffer with a pattern, {@code endCpuAccess}), CPU readers (some
 * nesting a second READ), simulated devices that follow the reservation protocol (lock, take the
 * dependencies, add their WRITE or READ fence, unlock) and run either in the worker (waiting,
 * interruptibly, for their dependencies) or as a callback on their dependencies (in whatever
 * thread signals them), and explicit-sync jobs that go through {@code exportFence} /
 * {@code importFence}. All of them on a few shared buffers.
 *
 * <p>A pattern is an 8-byte stamp followed by bytes derived from it, written in a random order,
 * header first or last; a reader (CPU or device) checks that the body matches the header, so a
 * half-written buffer is caught. Independently, per-buffer counters of writers and readers
 * inside must show one writer and no reader, or readers only.
 *
 * <p>Fault injection: the soak's interrupts end waits in {@code beginCpuAccess} (then no access
 * may have started: {@code endCpuAccess} must throw ISE) and in devices waiting for their
 * dependencies (the device then aborts: signals its fence with an error, writing nothing); one
 * CPU write in 16 is abandoned half-way by an exception (its {@code finally} still ends the
 * access; the buffer is marked torn, which the next complete write clears); one device job in 16
 * aborts with an error without running; one asynchronous device callback in 7 throws after
 * finishing its work (counted by {@code Fences.callbackFailures()}); misuse (ending an access
 * this thread does not hold, with the wrong direction, or beginning a write inside one's own
 * read) must be refused with ISE and leave the open access intact. An access cannot be
 * abandoned without ending it: the API has no way to drop another thread's access, and an access
 * never ended blocks the buffer for good, so every access here ends in a {@code finally}.
 *
 * <p>Lost CPU fences: a reset job, like a device job that depends on the open CPU accesses of a
 * buffer, replaces every fence of its reservation with {@code addExclusiveFence} (only when
 * nothing but CPU fences is pending) and completes at once with an error, as after a GPU reset,
 * while those accesses are still open. The reservation then no longer lists them, and only the
 * buffer's own open accesses keep the next CPU access out: the inside counters check that it
 * does. (Device jobs submitted later would no longer wait for the dropped accesses either, which
 * is the reservation's business, not the buffer's: this workload's devices add the dropped
 * fences that are still pending to their dependencies, as a driver that re-fences after a reset
 * would.)
 *
 * <p>Writers go first: a fifth buffer, the relay, has CPU readers that keep overlapping each
 * other (each holds its read until the next relay reader has begun, at most
 * {@link #RELAY_HOLD_NANOS}) and a CPU writer thread of its own (not a worker, so the fault
 * injector's interrupts do not make it give up) that writes every 100 to 300 ms. A writer kept
 * out by readers that pass it would wait as long as the relay goes on; the writer's wait must
 * stay under the soak's slack (2 s), checked by the writer when it gets in and by every relay
 * reader while it waits, and so must a relay reader's begin.
 *
 * <p>Also checked: a nested READ interrupted while a device writer submitted after the outer
 * READ began is pending is a deadlock broken by the interrupt (the writer waits for the outer
 * read, the nested read for the writer); an exported fence, once signalled, covers every device
 * job that was in the reservation before the export; an imported fence's pending members are in
 * the reservation with the imported usage. At the end: nobody inside any buffer, every device
 * callback queued has run, every fence in every reservation has signalled, every buffer holds a
 * whole pattern (or is marked torn).
 */
final class SharedBufferWorkload implements SoakWorkload {

    private static final int BUFFERS = 4;
    /** Relay readers inside or waiting to begin, at most: one holding, one taking over. */
    private static final int RELAY_READERS = 2;
    /** How long a relay reader holds its read, at most, waiting for the next one to begin. */
    static final long RELAY_HOLD_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
    private static final int SIZE = 64;
    private static final int HEADER = Long.BYTES;

    /** One shared buffer and what the workload knows about who is inside it. */
    private static final class Slot {
        final int index;
        final SharedBuffer buf = SharedBuffer.allocate(SIZE);
        final AtomicInteger writersInside = new AtomicInteger();
        final AtomicInteger readersInside = new AtomicInteger();
        /**
         * Set by a writer that abandoned its fill half-way; cleared by the next complete write.
         * Plain: written only inside a write access, read inside accesses, ordered by the
         * buffer's fences like the data itself.
         */
        boolean torn;
        /**
         * CPU fences that reset jobs dropped from the reservation, perhaps still pending: devices
         * wait for them too. Guarded by the reservation's lock.
         */
        final List<Fence> dropped = new ArrayList<>();

        Slot(int index) {
            this.index = index;
        }
    }

    /**
     * A fence of this workload's device or explicit-sync work (every other fence in a
     * reservation is a CPU fence of the buffer).
     */
    private static class JobFence extends Fence {
        JobFence() {
            super(Fence.allocateContexts(1), 1L);
        }

        @Override
        public String driverName() {
            return "soak-device";
        }
    }

    /** Device work: a fence with the order of its submission, for the nested-read check. */
    private static final class DeviceJob extends JobFence {
        final boolean writes;
        volatile long submitSeq;

        DeviceJob(boolean writes) {
            this.writes = writes;
        }
    }

    /** Thrown inside a CPU write access to abandon the fill half-way. */
    private static final class Abandon extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Abandon() {
            super("soak: CPU write abandoned on purpose", null, false, false);
        }
    }

    /** A device error, for jobs that abort. */
    private static final class DeviceError extends RuntimeException {
        private static final long serialVersionUID = 1L;

        DeviceError(String what) {
            super(what, null, false, false);
        }
    }

    private final SoakContext ctx;
    private final Slot[] slots = new Slot[BUFFERS];
    private final Slot relay = new Slot(BUFFERS);
    private final AtomicInteger relayBusy = new AtomicInteger();
    private final AtomicLong relayBegins = new AtomicLong();
    /** When the relay writer's waiting begin started, 0 while it does not wait. */
    private volatile long relayWriterSince;
    /** The last {@link #relayWriterSince} reported as starved, so each wait is reported once. */
    private final AtomicLong relayStarvedReported = new AtomicLong();
    private final AtomicBoolean relayWriterStarted = new AtomicBoolean();
    private volatile Thread relayWriter;
    private final AtomicLong stamps = new AtomicLong();
    private final AtomicLong submissions = new AtomicLong();

    private final LongAdder cpuWrites = new LongAdder();
    private final LongAdder cpuReads = new LongAdder();
    private final LongAdder nestedReads = new LongAdder();
    private final LongAdder beginInterrupted = new LongAdder();
    private final LongAdder abandonedWrites = new LongAdder();
    private final LongAdder deviceWrites = new LongAdder();
    private final LongAdder deviceReads = new LongAdder();
    private final LongAdder deviceAborted = new LongAdder();
    private final LongAdder asyncQueued = new LongAdder();
    private final LongAdder asyncRan = new LongAdder();
    private final LongAdder exports = new LongAdder();
    private final LongAdder imports = new LongAdder();
    private final LongAdder misuseRefused = new LongAdder();
    private final LongAdder tornSkipped = new LongAdder();
    private final LongAdder checkedReads = new LongAdder();
    private final LongAdder nestedDeadlocks = new LongAdder();
    private final LongAdder resets = new LongAdder();
    private final LongAdder relayReads = new LongAdder();
    private final LongAdder relayHandOffs = new LongAdder();
    private final LongAdder relayWrites = new LongAdder();
    private final AtomicLong relayWriterMaxWait = new AtomicLong();

    SharedBufferWorkload(SoakContext ctx) {
        this.ctx = ctx;
        for (int i = 0; i <= BUFFERS; i++) {
            Slot s = i < BUFFERS ? new Slot(i) : relay;
            if (i < BUFFERS) {
                slots[i] = s;
            }
            ByteBuffer b = s.buf.buffer();
            for (int k = HEADER; k < SIZE; k++) {
                b.put(k, pattern(0L, k));
            }
            b.putLong(0, 0L);
        }
    }

    @Override
    public String name() {
        return "sbuf";
    }

    @Override
    public void step(SoakContext c, SplittableRandom rnd) throws InterruptedException {
        if (!relayWriterStarted.get() && relayWriterStarted.compareAndSet(false, true)) {
            Thread t = new Thread(this::relayWriterLoop, "soak-sbuf-relay-writer");
            t.setDaemon(true);
            relayWriter = t;
            t.start();
        }
        Slot s = slots[rnd.nextInt(BUFFERS)];
        int op = rnd.nextInt(120);
        if (op < 22) {
            cpuWrite(s, rnd);
        } else if (op < 50) {
            cpuRead(s, rnd);
        } else if (op < 65) {
            device(s, rnd, true);
        } else if (op < 80) {
            device(s, rnd, false);
        } else if (op < 88) {
            explicitReader(s, rnd);
        } else if (op < 96) {
            explicitJob(s, rnd);
        } else if (op < 100) {
            misuseWithoutAccess(s, rnd);
        } else if (op < 116) {
            relayRead(rnd);
        } else {
            resetJob(busySlot(rnd));
        }
    }

    // ------------------------------------------------------------------------------------------
    // The pattern

    private static byte pattern(long stamp, int i) {
        long h = (stamp + 1) * 0x9E37_79B9_7F4A_7C15L;
        return (byte) ((h >>> 56) + i * 7);
    }

    /**
     * Writes a whole pattern; with {@code abandonAt >= 0}, throws Abandon after that many bytes.
     */
    private static void fill(ByteBuffer b, long stamp, RandomGenerator rnd, int abandonAt) {
        boolean headerFirst = rnd.nextBoolean();
        boolean forward = rnd.nextBoolean();
        if (headerFirst) {
            b.putLong(0, stamp);
        }
        for (int n = 0; n < SIZE - HEADER; n++) {
            int i = forward ? HEADER + n : SIZE - 1 - n;
            b.put(i, pattern(stamp, i));
            if (n == abandonAt) {
                throw new Abandon();
            }
            if (n == (SIZE - HEADER) / 2) {
                SoakContext.maybeDelay(rnd, 8);
            }
        }
        if (!headerFirst) {
            b.putLong(0, stamp);
        }
    }

    /** Checks the buffer holds one whole pattern (unless marked torn); called by readers. */
    private void check(Slot s, String who) {
        if (s.torn) {
            tornSkipped.increment();
            return;
        }
        ByteBuffer b = s.buf.buffer();
        long stamp = b.getLong(0);
        for (int i = HEADER; i < SIZE; i++) {
            if (b.get(i) != pattern(stamp, i)) {
                ctx.violation("sbuf: " + who + " saw a half-written buffer " + s.index + ": header "
                        + stamp + ", byte " + i + " does not match it");
                return;
            }
        }
        checkedReads.increment();
    }

    private void enterWriter(Slot s, String who) {
        int w = s.writersInside.incrementAndGet();
        int r = s.readersInside.get();
        if (w != 1 || r != 0) {
            ctx.violation("sbuf: " + who + " inside buffer " + s.index + " with " + (w - 1)
                    + " other writer(s) and " + r + " reader(s)");
        }
    }

    private void enterReader(Slot s, String who) {
        s.readersInside.incrementAndGet();
        int w = s.writersInside.get();
        if (w != 0) {
            ctx.violation("sbuf: " + who + " inside buffer " + s.index + " with " + w
                    + " writer(s)");
        }
    }

    // ------------------------------------------------------------------------------------------
    // CPU access

    /**
     * beginCpuAccess after an interrupt: InterruptedException must mean no access was started,
     * so ending one must be refused.
     */
    private void interruptedBegin(Slot s, Direction d) {
        beginInterrupted.increment();
        ctx.op("sbuf.cpu.beginInterrupted");
        try {
            s.buf.endCpuAccess(d);
            ctx.violation("sbuf: beginCpuAccess(" + d + ") threw InterruptedException but an access"
                    + " was registered (endCpuAccess succeeded)");
        } catch (IllegalStateException expected) {
            // no access: as promised
        }
    }

    private void cpuWrite(Slot s, SplittableRandom rnd) {
        Direction d = rnd.nextInt(3) == 0 ? Direction.READ_WRITE : Direction.WRITE;
        long stamp = stamps.incrementAndGet();
        try {
            s.buf.beginCpuAccess(d);
        } catch (InterruptedException e) {
            interruptedBegin(s, d);
            return;
        }
        boolean abandoned = false;
        try {
            enterWriter(s, "CPU " + d);
            try {
                if (d == Direction.READ_WRITE) {
                    check(s, "CPU READ_WRITE");
                }
                if (rnd.nextInt(16) == 0) {
                    misuseInsideWrite(s, d);
                }
                int abandonAt = rnd.nextInt(16) == 0 ? rnd.nextInt(SIZE - HEADER) : -1;
                try {
                    fill(s.buf.buffer(), stamp, rnd, abandonAt);
                    s.torn = false;
                } catch (Abandon a) {
                    s.torn = true;
                    abandoned = true;
                }
            } finally {
                s.writersInside.decrementAndGet();
            }
        } finally {
            s.buf.endCpuAccess(d);
        }
        if (abandoned) {
            abandonedWrites.increment();
            ctx.op("sbuf.cpu.writeAbandoned");
        } else {
            cpuWrites.increment();
            ctx.op("sbuf.cpu.write");
        }
    }

    /** Inside this thread's write access: nested begins and foreign ends are refused. */
    private void misuseInsideWrite(Slot s, Direction d) {
        expectIse(() -> s.buf.beginCpuAccess(Direction.READ),
                "begin(READ) inside a " + d + " access");
        Direction wrong = d == Direction.WRITE ? Direction.READ_WRITE : Direction.WRITE;
        expectIse(() -> s.buf.endCpuAccess(wrong), "end(" + wrong + ") of a " + d + " access");
        expectIse(() -> s.buf.endCpuAccess(Direction.READ), "end(READ) of a " + d + " access");
    }

    private void cpuRead(Slot s, SplittableRandom rnd) {
        try {
            s.buf.beginCpuAccess(Direction.READ);
        } catch (InterruptedException e) {
            interruptedBegin(s, Direction.READ);
            return;
        }
        long mark = submissions.get();
        try {
            enterReader(s, "CPU READ");
            try {
                check(s, "CPU READ");
                SoakContext.maybeDelay(rnd, 8);
                int extra = rnd.nextInt(8);
                if (extra == 0) {
                    nestedRead(s, mark);
                } else if (extra == 1) {
                    expectIse(() -> s.buf.beginCpuAccess(Direction.WRITE),
                            "begin(WRITE) inside own READ");
                    expectIse(() -> s.buf.endCpuAccess(Direction.WRITE),
                            "end(WRITE) of a READ access");
                }
                check(s, "CPU READ (again)");
            } finally {
                s.readersInside.decrementAndGet();
            }
        } finally {
            s.buf.endCpuAccess(Direction.READ);
        }
        cpuReads.increment();
        ctx.op("sbuf.cpu.read");
    }

    /**
     * A READ inside this thread's READ ("reads may nest"). If it is ended by an interrupt while a
     * device writer submitted after the outer read began (so waiting for it) is pending, the
     * nested begin was waiting for that writer: a deadlock that only the interrupt broke.
     */
    private void nestedRead(Slot s, long mark) {
        try {
            s.buf.beginCpuAccess(Direction.READ);
        } catch (InterruptedException e) {
            ctx.op("sbuf.cpu.nestedReadInterrupted");
            for (Reservation.Entry en : s.buf.reservation().entries(Usage.WRITE)) {
                if (en.fence() instanceof DeviceJob) {
                    DeviceJob j = (DeviceJob) en.fence();
                    if (j.writes && j.submitSeq > mark && !j.isSignaled()) {
                        nestedDeadlocks.increment();
                        ctx.violation("sbuf: nested beginCpuAccess(READ) on buffer " + s.index
                                + " waited for a device writer queued behind the outer READ"
                                + " (deadlock, broken by the injected interrupt)");
                        break;
                    }
                }
            }
            return;
        }
        try {
            check(s, "nested CPU READ");
        } finally {
            s.buf.endCpuAccess(Direction.READ);
        }
        nestedReads.increment();
        ctx.op("sbuf.cpu.nestedRead");
    }

    /** Ending an access this thread never began is refused. */
    private void misuseWithoutAccess(Slot s, SplittableRandom rnd) {
        Direction d = Direction.values()[rnd.nextInt(3)];
        expectIse(() -> s.buf.endCpuAccess(d), "end(" + d + ") without an access");
    }

    private interface Call {
        void run() throws Exception;
    }

    private void expectIse(Call call, String what) {
        try {
            call.run();
            ctx.violation("sbuf: " + what + " was accepted");
        } catch (IllegalStateException expected) {
            misuseRefused.increment();
            ctx.op("sbuf.misuseRefused");
        } catch (Exception e) {
            ctx.violation("sbuf: " + what + " threw " + e + " instead of IllegalStateException");
        }
    }

    // ------------------------------------------------------------------------------------------
    // Devices

    /**
     * The reservation protocol for a device job; then the job runs here (after waiting for its
     * dependencies) or as a callback on them.
     */
    private void device(Slot s, SplittableRandom rnd, boolean writes) throws InterruptedException {
        DeviceJob job = new DeviceJob(writes);
        long stamp = writes ? stamps.incrementAndGet() : 0L;
        Reservation r = s.buf.reservation();
        Fence deps;
        r.lock();
        try {
            deps = r.singleton(Usage.forAccess(writes));
            s.dropped.removeIf(Fence::isSignaled);
            if (!s.dropped.isEmpty()) {
                // CPU accesses a reset job dropped from the reservation, still open: see the
                // class comment.
                List<Fence> all = new ArrayList<>(s.dropped);
                all.add(deps);
                deps = Fences.merge(all.toArray(new Fence[0]));
            }
            r.reserveFences(1);
            r.addFence(job, writes ? Usage.WRITE : Usage.READ);
            job.submitSeq = submissions.incrementAndGet();
        } finally {
            r.unlock();
        }
        if (rnd.nextInt(16) == 0) {
            abort(job, "aborted before running");
            return;
        }
        if (rnd.nextBoolean()) {
            DeviceWork w = new DeviceWork(s, job, stamp, rnd.nextInt(7) == 0);
            asyncQueued.increment();
            if (!deps.addCallback(w)) {
                w.run(ThreadLocalRandom.current());
            }
            ctx.op(writes ? "sbuf.device.write.async" : "sbuf.device.read.async");
            return;
        }
        try {
            deps.await();
        } catch (InterruptedException e) {
            abort(job, "interrupted while waiting for its dependencies");
            ctx.op("sbuf.device.interrupted");
            return;
        }
        runJob(s, job, stamp, rnd);
        ctx.op(writes ? "sbuf.device.write" : "sbuf.device.read");
    }

    private void abort(DeviceJob job, String why) {
        job.signal(new DeviceError("soak device job " + why));
        deviceAborted.increment();
    }

    /** The job's work, once its dependencies have signalled; signals the job. */
    private void runJob(Slot s, DeviceJob job, long stamp, RandomGenerator rnd) {
        try {
            if (job.writes) {
                enterWriter(s, "device writer");
                try {
                    fill(s.buf.buffer(), stamp, rnd, -1);
                    s.torn = false;
                } finally {
                    s.writersInside.decrementAndGet();
                }
                deviceWrites.increment();
            } else {
                enterReader(s, "device reader");
                try {
                    check(s, "device reader");
                    SoakContext.maybeDelay(rnd, 16);
                    check(s, "device reader (again)");
                } finally {
                    s.readersInside.decrementAndGet();
                }
                deviceReads.increment();
            }
        } finally {
            if (rnd.nextInt(5) == 0) {
                job.signal(new DeviceError("soak device job completed with an error"));
            } else {
                job.signal();
            }
        }
    }

    /** A device job run by whatever thread signals its dependencies. */
    private final class DeviceWork extends FenceCallback {
        private final Slot slot;
        private final DeviceJob job;
        private final long stamp;
        private final boolean throwing;
        private final AtomicInteger runs = new AtomicInteger();

        DeviceWork(Slot slot, DeviceJob job, long stamp, boolean throwing) {
            this.slot = slot;
            this.job = job;
            this.stamp = stamp;
            this.throwing = throwing;
        }

        void run(RandomGenerator rnd) {
            if (runs.incrementAndGet() != 1) {
                ctx.violation("sbuf: a device callback ran twice");
                return;
            }
            asyncRan.increment();
            runJob(slot, job, stamp, rnd);
        }

        @Override
        protected void onSignaled(Fence fence) {
            run(ThreadLocalRandom.current());
            if (throwing) {
                ctx.injectedThrow();
                throw new IllegalStateException("soak: injected device callback failure");
            }
        }
    }

    // ------------------------------------------------------------------------------------------
    // Lost CPU fences

    /** A buffer with someone inside (a CPU access, likely), else any: where a reset matters. */
    private Slot busySlot(SplittableRandom rnd) {
        int first = rnd.nextInt(BUFFERS);
        for (int i = 0; i < BUFFERS; i++) {
            Slot s = slots[(first + i) % BUFFERS];
            if (s.writersInside.get() + s.readersInside.get() > 0) {
                return s;
            }
        }
        return slots[first];
    }

    /**
     * A reset job: if every fence of the buffer's reservation that a writer would wait for is a
     * CPU fence (no device or explicit job would be dropped), a job depending on them replaces
     * them all through {@code addExclusiveFence} and is completed at once with an error, while
     * the CPU accesses they belong to may still be open. The buffer must keep excluding them:
     * the inside counters of the accesses that begin next check it.
     */
    private void resetJob(Slot s) {
        Reservation r = s.buf.reservation();
        JobFence job = new JobFence();
        r.lock();
        try {
            List<Fence> pending = r.unsignaledFences(Usage.READ);
            if (pending.isEmpty()) {
                ctx.op("sbuf.reset.nothingPending");
                return;
            }
            for (Fence f : pending) {
                if (f instanceof JobFence) {
                    ctx.op("sbuf.reset.skipped");
                    return;
                }
            }
            s.dropped.removeIf(Fence::isSignaled);
            s.dropped.addAll(pending);
            r.reserveFences(1);
            r.addExclusiveFence(job);
        } finally {
            r.unlock();
        }
        job.signal(new DeviceError("soak reset: job abandoned while the CPU accesses it depended"
                + " on were open"));
        resets.increment();
        ctx.op("sbuf.reset.cpuFenceLost");
    }

    // ------------------------------------------------------------------------------------------
    // The relay: overlapping readers and a waiting writer

    /**
     * A relay reader: begins READ on the relay buffer and holds it until the next relay reader
     * has begun (or {@link #RELAY_HOLD_NANOS} passed), so that readers keep overlapping each
     * other for as long as they keep coming. With {@link #RELAY_READERS} already inside or
     * waiting, an ordinary read of another buffer instead.
     */
    private void relayRead(SplittableRandom rnd) {
        if (relayBusy.incrementAndGet() > RELAY_READERS) {
            relayBusy.decrementAndGet();
            cpuRead(slots[rnd.nextInt(BUFFERS)], rnd);
            return;
        }
        try {
            long t0 = System.nanoTime();
            try {
                relay.buf.beginCpuAccess(Direction.READ);
            } catch (InterruptedException e) {
                interruptedBegin(relay, Direction.READ);
                return;
            }
            long waited = System.nanoTime() - t0;
            if (waited > ctx.slackNanos) {
                ctx.violation("sbuf: a relay reader's beginCpuAccess(READ) took "
                        + TimeUnit.NANOSECONDS.toMillis(waited) + " ms");
            }
            long me = relayBegins.incrementAndGet();
            try {
                enterReader(relay, "relay CPU READ");
                try {
                    check(relay, "relay CPU READ");
                    checkRelayWriter();
                    if (holdUntilSuccessor(me)) {
                        relayHandOffs.increment();
                    }
                    check(relay, "relay CPU READ (again)");
                } finally {
                    relay.readersInside.decrementAndGet();
                }
            } finally {
                relay.buf.endCpuAccess(Direction.READ);
            }
            relayReads.increment();
            ctx.op("sbuf.relay.read");
        } finally {
            relayBusy.decrementAndGet();
        }
    }

    /**
     * Holds the relay read until another relay read has begun after it, the hold bound passed,
     * or the run stops. Injected interrupts do not end the hold (they would break the relay);
     * one that arrives is passed on afterwards.
     *
     * @return whether another relay reader began meanwhile
     */
    private boolean holdUntilSuccessor(long me) {
        long deadline = System.nanoTime() + RELAY_HOLD_NANOS;
        boolean interrupted = false;
        boolean handedOff;
        while (!(handedOff = relayBegins.get() != me) && !ctx.stopping()
                && System.nanoTime() - deadline < 0) {
            LockSupport.parkNanos(20_000);
            interrupted |= Thread.interrupted();
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        return handedOff;
    }

    /** Inside a relay read: the relay writer must not have been waiting past the slack. */
    private void checkRelayWriter() {
        long since = relayWriterSince;
        if (since != 0 && System.nanoTime() - since > ctx.slackNanos) {
            long last = relayStarvedReported.get();
            if (last != since && relayStarvedReported.compareAndSet(last, since)) {
                ctx.violation("sbuf: the relay's CPU writer has waited over "
                        + TimeUnit.NANOSECONDS.toMillis(ctx.slackNanos) + " ms while CPU readers"
                        + " kept overlapping each other (a reader began beside a waiting writer)");
            }
        }
    }

    /**
     * The relay's writer thread: every 100 to 300 ms, a CPU write of the relay buffer, whose
     * begin must not take longer than the slack. Ends when the run stops.
     */
    private void relayWriterLoop() {
        SplittableRandom rnd = new SplittableRandom();
        while (!ctx.stopping()) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100 + rnd.nextInt(200)));
            if (ctx.stopping()) {
                break;
            }
            long stamp = stamps.incrementAndGet();
            long t0 = System.nanoTime();
            relayWriterSince = t0;
            try {
                relay.buf.beginCpuAccess(Direction.WRITE);
            } catch (InterruptedException e) {
                break; // only finish() interrupts this thread
            } finally {
                relayWriterSince = 0;
            }
            long waited = System.nanoTime() - t0;
            relayWriterMaxWait.accumulateAndGet(waited, Math::max);
            if (waited > ctx.slackNanos && relayStarvedReported.get() != t0) {
                ctx.violation("sbuf: the relay's CPU writer waited "
                        + TimeUnit.NANOSECONDS.toMillis(waited) + " ms for its access while CPU"
                        + " readers kept overlapping each other");
            }
            try {
                enterWriter(relay, "relay CPU WRITE");
                try {
                    fill(relay.buf.buffer(), stamp, rnd, -1);
                    relay.torn = false;
                } finally {
                    relay.writersInside.decrementAndGet();
                }
            } finally {
                relay.buf.endCpuAccess(Direction.WRITE);
            }
            relayWrites.increment();
            ctx.op("sbuf.relay.write");
        }
    }

    // ------------------------------------------------------------------------------------------
    // Explicit synchronization

    /**
     * exportFence(READ): once it has signalled, every device job that was in the reservation
     * (WRITE and below) before the export has signalled. The caller does not touch the data:
     * without importing its own fence it would race later writers (export and import are not
     * atomic, as documented).
     */
    private void explicitReader(Slot s, SplittableRandom rnd) throws InterruptedException {
        List<Fence> before = new ArrayList<>();
        for (Fence f : s.buf.reservation().fences(Usage.WRITE)) {
            if (f instanceof DeviceJob) {
                before.add(f);
            }
        }
        Fence e = s.buf.exportFence(Direction.READ);
        exports.increment();
        long timeout = rnd.nextInt(2_000_000);
        if (!e.await(timeout, TimeUnit.NANOSECONDS)) {
            ctx.op("sbuf.export.timeout");
            return;
        }
        for (Fence f : before) {
            if (!f.isSignaled()) {
                ctx.violation("sbuf: exportFence(READ) on buffer " + s.index + " signalled while a"
                        + " device job present before the export is pending: " + f);
            }
        }
        ctx.op("sbuf.export.done");
    }

    /**
     * An explicitly synchronized job: export what it must wait for, import its fence (sometimes
     * a container of two), check the import landed, wait (bounded) for the export, then
     * complete. It writes nothing: export, submit and import are not atomic, so its writes could
     * legally overlap implicit readers.
     */
    private void explicitJob(Slot s, SplittableRandom rnd) throws InterruptedException {
        boolean writes = rnd.nextBoolean();
        Direction d = writes ? (rnd.nextBoolean() ? Direction.WRITE : Direction.READ_WRITE)
                : Direction.READ;
        Fence e = s.buf.exportFence(d);
        Fence a = new JobFence();
        Fence b = rnd.nextBoolean() ? new JobFence() : null;
        if (b != null && rnd.nextInt(4) == 0) {
            b.signal(); // an already-signalled member is not imported
        }
        Fence job = b == null ? a : FenceArray.all(a, b);
        try {
            s.buf.importFence(job, d);
            imports.increment();
            Usage u = writes ? Usage.WRITE : Usage.READ;
            for (Fence m : Fences.unwrap(job)) {
                if (!m.isSignaled() && !s.buf.reservation().fences(u).contains(m)) {
                    ctx.violation("sbuf: importFence(" + d + ") returned but pending member " + m
                            + " is not among the " + u + " fences of buffer " + s.index);
                }
            }
            if (!e.await(rnd.nextInt(2_000_000), TimeUnit.NANOSECONDS)) {
                ctx.op("sbuf.import.waitTimeout");
            }
        } finally {
            if (rnd.nextInt(5) == 0) {
                a.signal(new DeviceError("soak explicit job failed"));
            } else {
                a.signal();
            }
            if (b != null) {
                b.signal();
            }
        }
        ctx.op("sbuf.import");
    }

    // ------------------------------------------------------------------------------------------
    // End of run

    @Override
    public void finish(SoakContext c) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        Thread w = relayWriter;
        if (w != null) {
            try {
                w.join(TimeUnit.SECONDS.toMillis(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (w.isAlive()) {
                ctx.violation("sbuf: the relay's CPU writer did not stop within 5 s of the end");
                w.interrupt();
            }
        }
        List<Slot> all = new ArrayList<>(List.of(slots));
        all.add(relay);
        for (Slot s : all) {
            Reservation r = s.buf.reservation();
            try {
                long left = deadline - System.nanoTime();
                if (!r.await(Usage.BOOKKEEP, Math.max(0, left), TimeUnit.NANOSECONDS)) {
                    ctx.violation("sbuf: buffer " + s.index + " still has pending fences after the"
                            + " run: " + r.unsignaledFences(Usage.BOOKKEEP));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                ctx.violation("sbuf: interrupted while draining buffer " + s.index);
            }
            if (s.writersInside.get() != 0 || s.readersInside.get() != 0) {
                ctx.violation("sbuf: buffer " + s.index + " ends with " + s.writersInside.get()
                        + " writer(s) and " + s.readersInside.get() + " reader(s) inside");
            }
            if (r.isLocked()) {
                ctx.violation("sbuf: reservation of buffer " + s.index + " left locked");
            }
            try {
                s.buf.beginCpuAccess(Direction.READ);
                try {
                    check(s, "final CPU READ");
                } finally {
                    s.buf.endCpuAccess(Direction.READ);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (asyncQueued.sum() != asyncRan.sum()) {
            ctx.violation("sbuf: " + asyncQueued.sum() + " device callbacks queued but "
                    + asyncRan.sum() + " ran");
        }
    }

    @Override
    public String summary() {
        return String.format("CPU writes %d (abandoned half-way %d), reads %d (nested %d), begins"
                        + " interrupted %d; device writes %d, reads %d (async queued %d, ran %d),"
                        + " aborted %d; exports %d, imports %d; misuse refused %d; reads checked"
                        + " %d, skipped on a torn buffer %d; nested-read deadlocks %d; resets"
                        + " dropping CPU fences %d; relay reads %d (handed on %d), writes %d"
                        + " (longest wait %.1f ms)",
                cpuWrites.sum(), abandonedWrites.sum(), cpuReads.sum(), nestedReads.sum(),
                beginInterrupted.sum(), deviceWrites.sum(), deviceReads.sum(), asyncQueued.sum(),
                asyncRan.sum(), deviceAborted.sum(), exports.sum(), imports.sum(),
                misuseRefused.sum(), checkedReads.sum(), tornSkipped.sum(), nestedDeadlocks.sum(),
                resets.sum(), relayReads.sum(), relayHandOffs.sum(), relayWrites.sum(),
                relayWriterMaxWait.get() / 1e6);
    }
}
