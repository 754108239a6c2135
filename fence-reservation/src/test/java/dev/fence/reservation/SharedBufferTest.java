package dev.fence.reservation;

import static dev.fence.reservation.SharedBufferMultiTest.awaitParkedOn;
import static dev.fence.reservation.WwMutexKernelTest.assertNoErrors;
import static dev.fence.reservation.WwMutexKernelTest.join;
import static dev.fence.reservation.WwMutexKernelTest.start;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fence.core.Fence;
import dev.fence.core.FenceArray;
import dev.fence.core.Timeline;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link SharedBuffer}: CPU access ordering, the export/import bridge, and misuse. */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class SharedBufferTest {

    private static Fence fresh() {
        return Fence.create(Fence.allocateContexts(1), 1);
    }

    private static void addFence(SharedBuffer buf, Fence f, Usage usage) {
        buf.reservation().lock();
        try {
            buf.reservation().reserveFences(1);
            buf.reservation().addFence(f, usage);
        } finally {
            buf.reservation().unlock();
        }
    }

    @Test
    void nestedReadDoesNotWaitForAWriterQueuedBehindTheOuterRead() throws Exception {
        SharedBuffer buf = SharedBuffer.allocate(16);
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        CountDownLatch outer = new CountDownLatch(1);
        CountDownLatch queued = new CountDownLatch(1);
        CountDownLatch nested = new CountDownLatch(1);
        Fence deviceWrite = fresh();
        Thread cpu = start("cpu-reader", errors, () -> {
            buf.beginCpuAccess(SharedBuffer.Direction.READ);
            outer.countDown();
            queued.await();
            // a device writer is queued behind the outer read: its fence waits for our READ fence
            buf.beginCpuAccess(SharedBuffer.Direction.READ);
            nested.countDown();
            buf.endCpuAccess(SharedBuffer.Direction.READ);
            buf.endCpuAccess(SharedBuffer.Direction.READ);
        });
        assertTrue(outer.await(20, TimeUnit.SECONDS));
        // the device's submission: lock, take the READ dependencies (the CPU read), add WRITE
        Fence deps = buf.exportFence(SharedBuffer.Direction.WRITE);
        assertFalse(deps.isSignaled(), "the CPU read's fence must hold the device writer back");
        addFence(buf, deviceWrite, Usage.WRITE);
        queued.countDown();
        assertTrue(nested.await(20, TimeUnit.SECONDS), "nested read waited for the queued writer");
        join(cpu);
        assertNoErrors(errors);
        assertTrue(deps.await(20, TimeUnit.SECONDS)); // both reads ended: the writer may run
        deviceWrite.signal();
    }

    @Test
    void cpuReadWaitsForWritersOnly() throws Exception {
        SharedBuffer buf = SharedBuffer.allocate(16);
        Fence reader = fresh();
        addFence(buf, reader, Usage.READ);
        // a device reader does not block a CPU read
        buf.beginCpuAccess(SharedBuffer.Direction.READ);
        buf.endCpuAccess(SharedBuffer.Direction.READ);

        Fence writer = fresh();
        addFence(buf, writer, Usage.WRITE);
        CountDownLatch began = new CountDownLatch(1);
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        Thread t = start("cpu-reader", errors, () -> {
            buf.beginCpuAccess(SharedBuffer.Direction.READ);
            began.countDown();
            buf.endCpuAccess(SharedBuffer.Direction.READ);
        });
        awaitParkedOn(t, writer); // the begin is waiting for the writer: not begun yet
        assertFalse(began.await(50, TimeUnit.MILLISECONDS), "CPU read ran before the writer");
        writer.signal();
        assertTrue(began.await(20, TimeUnit.SECONDS));
        join(t);
        assertNoErrors(errors);
        reader.signal();
    }

    @Test
    void cpuWriteWaitsForReadersAndWriters() throws Exception {
        SharedBuffer buf = SharedBuffer.allocate(16);
        Fence reader = fresh();
        Fence bookkeep = fresh();
        addFence(buf, reader, Usage.READ);
        addFence(buf, bookkeep, Usage.BOOKKEEP);
        CountDownLatch began = new CountDownLatch(1);
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        Thread t = start("cpu-writer", errors, () -> {
            buf.beginCpuAccess(SharedBuffer.Direction.READ_WRITE);
            began.countDown();
            buf.endCpuAccess(SharedBuffer.Direction.READ_WRITE);
        });
        awaitParkedOn(t, reader); // the begin is waiting for the device reader: not begun yet
        assertFalse(began.await(50, TimeUnit.MILLISECONDS), "CPU write ran before the reader");
        reader.signal();
        assertTrue(began.await(20, TimeUnit.SECONDS), "BOOKKEEP must not block implicit sync");
        join(t);
        assertNoErrors(errors);
    }

    @Test
    void cpuAccessIsVisibleToDevices() throws Exception {
        SharedBuffer buf = SharedBuffer.allocate(16);
        buf.beginCpuAccess(SharedBuffer.Direction.READ);
        Fence writeDeps = buf.exportFence(SharedBuffer.Direction.WRITE);
        assertFalse(writeDeps.isSignaled(), "a device writer must wait for the CPU reader");
        assertTrue(buf.exportFence(SharedBuffer.Direction.READ).isSignaled(),
                "a device reader need not wait for a CPU reader");
        buf.endCpuAccess(SharedBuffer.Direction.READ);
        assertTrue(writeDeps.isSignaled());

        buf.beginCpuAccess(SharedBuffer.Direction.WRITE);
        Fence readDeps = buf.exportFence(SharedBuffer.Direction.READ);
        assertFalse(readDeps.isSignaled(), "a device reader must wait for the CPU writer");
        buf.endCpuAccess(SharedBuffer.Direction.WRITE);
        assertTrue(readDeps.isSignaled());
    }

    @Test
    void exportAndImport() {
        SharedBuffer buf = SharedBuffer.allocate(16);
        assertTrue(buf.exportFence(SharedBuffer.Direction.READ).isSignaled(), "nothing: a stub");
        Fence w = fresh();
        Fence r1 = fresh();
        Fence r2 = fresh();
        buf.importFence(w, SharedBuffer.Direction.WRITE);
        buf.importFence(FenceArray.all(r1, r2), SharedBuffer.Direction.READ);
        assertEquals(List.of(w), buf.reservation().fences(Usage.WRITE));
        assertEquals(List.of(w, r1, r2), buf.reservation().fences(Usage.READ),
                "containers are imported member by member");
        assertSame(w, buf.exportFence(SharedBuffer.Direction.READ));
        Fence all = buf.exportFence(SharedBuffer.Direction.WRITE);
        // a READ import of a fence present as WRITE keeps the WRITE entry
        buf.importFence(w, SharedBuffer.Direction.READ);
        assertTrue(buf.reservation().fences(Usage.WRITE).contains(w));
        w.signal();
        r1.signal();
        assertFalse(all.isSignaled());
        r2.signal();
        assertTrue(all.isSignaled());
        Fence done = fresh();
        done.signal();
        int before = buf.reservation().fenceCount();
        buf.importFence(done, SharedBuffer.Direction.WRITE);
        assertEquals(before, buf.reservation().fenceCount(), "signalled fences are not imported");
    }

    @Test
    void misuse() throws Exception {
        SharedBuffer buf = SharedBuffer.allocate(8);
        assertThrows(NullPointerException.class, () -> new SharedBuffer(null));
        assertThrows(NullPointerException.class, () -> buf.beginCpuAccess(null));
        assertThrows(NullPointerException.class, () -> buf.importFence(null,
                SharedBuffer.Direction.READ));
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> buf.endCpuAccess(SharedBuffer.Direction.READ));
        assertTrue(e.getMessage().contains("without a matching"), e.getMessage());
        buf.beginCpuAccess(SharedBuffer.Direction.READ);
        assertThrows(IllegalStateException.class,
                () -> buf.endCpuAccess(SharedBuffer.Direction.WRITE), "mismatched direction");
        assertThrows(IllegalStateException.class,
                () -> buf.beginCpuAccess(SharedBuffer.Direction.WRITE), "would wait for itself");
        buf.beginCpuAccess(SharedBuffer.Direction.READ); // reads nest
        buf.endCpuAccess(SharedBuffer.Direction.READ);
        AtomicBoolean otherThreadRefused = new AtomicBoolean();
        Thread t = new Thread(() -> otherThreadRefused.set(assertThrows(
                IllegalStateException.class,
                () -> buf.endCpuAccess(SharedBuffer.Direction.READ)) != null));
        t.start();
        t.join();
        assertTrue(otherThreadRefused.get(), "an access is ended by the thread that began it");
        buf.endCpuAccess(SharedBuffer.Direction.READ);
        assertThrows(IllegalStateException.class,
                () -> buf.endCpuAccess(SharedBuffer.Direction.READ));

        buf.beginCpuAccess(SharedBuffer.Direction.READ_WRITE);
        assertThrows(IllegalStateException.class,
                () -> buf.endCpuAccess(SharedBuffer.Direction.WRITE), "READ_WRITE is not WRITE");
        assertThrows(IllegalStateException.class,
                () -> buf.beginCpuAccess(SharedBuffer.Direction.READ), "nested in a write");
        buf.endCpuAccess(SharedBuffer.Direction.READ_WRITE);
        assertTrue(buf.reservation().testSignaled(Usage.BOOKKEEP));

        buf.reservation().lock();
        assertThrows(IllegalStateException.class,
                () -> buf.beginCpuAccess(SharedBuffer.Direction.READ),
                "beginning a CPU access while holding the reservation");
        buf.reservation().unlock();
    }

    /**
     * A simulated device writes the whole buffer (slowly, one byte at a time) under a WRITE fence
     * after waiting for every earlier reader and writer; a CPU writer does the same through
     * begin/end; CPU readers check, between begin and end, that every byte is the same: they
     * must never see a half-written buffer.
     */
    @Test
    void cpuReadersNeverSeeAHalfWrittenBuffer() throws Exception {
        int size = 256;
        SharedBuffer buf = new SharedBuffer(ByteBuffer.allocate(size));
        Reservation resv = buf.reservation();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong reads = new AtomicLong();
        AtomicLong deviceWrites = new AtomicLong();
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(800);
        Thread device = start("device", errors, () -> {
            Timeline ring = Timeline.create("device-ring");
            byte v = 1;
            while (System.nanoTime() - end < 0) {
                Fence job = ring.next();
                Fence deps;
                resv.lock();
                try {
                    deps = resv.singleton(Usage.forAccess(true));
                    resv.reserveFences(1);
                    resv.addFence(job, Usage.WRITE);
                } finally {
                    resv.unlock();
                }
                deps.await(); // the "hardware" starts once its dependencies signalled
                ByteBuffer b = buf.buffer();
                for (int i = 0; i < size; i++) {
                    b.put(i, v);
                    if ((i & 31) == 0) {
                        Thread.yield();
                    }
                }
                v++;
                job.signal();
                deviceWrites.incrementAndGet();
            }
            stop.set(true);
        });
        Thread cpuWriter = start("cpu-writer", errors, () -> {
            byte v = -1;
            while (!stop.get()) {
                buf.beginCpuAccess(SharedBuffer.Direction.WRITE);
                try {
                    for (int i = 0; i < size; i++) {
                        buf.buffer().put(i, v);
                    }
                } finally {
                    buf.endCpuAccess(SharedBuffer.Direction.WRITE);
                }
                v--;
                Thread.yield();
            }
        });
        Thread[] readers = new Thread[2];
        for (int r = 0; r < readers.length; r++) {
            readers[r] = start("cpu-reader-" + r, errors, () -> {
                while (!stop.get()) {
                    buf.beginCpuAccess(SharedBuffer.Direction.READ);
                    try {
                        byte first = buf.buffer().get(0);
                        for (int i = 1; i < size; i++) {
                            byte b = buf.buffer().get(i);
                            if (b != first) {
                                throw new AssertionError("half-written buffer: byte 0 is "
                                        + first + " but byte " + i + " is " + b);
                            }
                            if ((i & 63) == 0) {
                                Thread.yield();
                            }
                        }
                    } finally {
                        buf.endCpuAccess(SharedBuffer.Direction.READ);
                    }
                    reads.incrementAndGet();
                }
            });
        }
        join(device);
        join(cpuWriter);
        for (Thread t : readers) {
            join(t);
        }
        assertNoErrors(errors);
        assertTrue(reads.get() > 0, "no CPU read happened");
        assertTrue(deviceWrites.get() > 0, "no device write happened");
        assertTrue(resv.testSignaled(Usage.BOOKKEEP), "a CPU or device fence was left pending");
    }

    /**
     * The CPU read fences of one buffer share a context, so they must signal in seqno order, as
     * every context's fences do (merges and the reservation's replace rule keep only the later
     * fence of a context). Before the eighteenth session the last reader took the read fence out
     * under the buffer's lock but signalled it after unlocking: a reader that began and ended in
     * between created, installed and signalled a later read fence first. Readers on three threads
     * race here; each read fence's callback checks that every earlier read fence seen so far has
     * signalled. The old window was a few instructions wide: this test failed on the old code
     * only with the window widened (a yield between the unlock and the signal), so it guards
     * the order under stalls rather than reproducing the race at full speed.
     */
    @Test
    @Timeout(60)
    void readFencesOfOneBufferSignalInSeqnoOrder() throws Exception {
        SharedBuffer buf = SharedBuffer.allocate(8);
        java.util.concurrent.ConcurrentSkipListMap<Long, Fence> seen =
                new java.util.concurrent.ConcurrentSkipListMap<>();
        ConcurrentLinkedQueue<String> outOfOrder = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        int rounds = 20_000;
        Thread[] readers = new Thread[3];
        for (int r = 0; r < readers.length; r++) {
            readers[r] = start("reader-" + r, errors, () -> {
                for (int i = 0; i < rounds; i++) {
                    buf.beginCpuAccess(SharedBuffer.Direction.READ);
                    Fence mine = null;
                    for (Fence f : buf.reservation().fences(Usage.READ)) {
                        if (mine == null || Long.compareUnsigned(f.seqno(), mine.seqno()) > 0) {
                            mine = f;
                        }
                    }
                    if (mine != null && seen.putIfAbsent(mine.seqno(), mine) == null) {
                        long s = mine.seqno();
                        mine.onSignal(f -> {
                            for (Fence earlier : seen.headMap(s).values()) {
                                if (!earlier.isSignaled()) {
                                    outOfOrder.add(f.describe() + " before " + earlier.describe());
                                }
                            }
                        });
                    }
                    buf.endCpuAccess(SharedBuffer.Direction.READ);
                }
            });
        }
        for (Thread t : readers) {
            join(t);
        }
        assertNoErrors(errors);
        assertTrue(outOfOrder.isEmpty(), outOfOrder.size() + " read fences signalled before an "
                + "earlier one, first: " + outOfOrder.peek());
        assertTrue(seen.size() > 1, "the readers never took turns");
        assertTrue(buf.reservation().testSignaled(Usage.BOOKKEEP), "a read fence was left pending");
    }
}
