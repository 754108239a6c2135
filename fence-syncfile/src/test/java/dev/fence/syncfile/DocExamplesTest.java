package dev.fence.syncfile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fence.core.Fence;
import dev.fence.core.FenceStatus;
import dev.fence.core.Timeline;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The code examples of docs/syncfile.md, run against the current API, asserting what the text
 * around them says.
 */
@SuppressWarnings("try") // the merge example closes its inputs early on purpose
class DocExamplesTest {

    @Test
    void syncFileExample() throws Exception {
        Timeline ring = Timeline.create("gpu");
        Fence done = ring.next();
        List<SyncFile> consumer = new ArrayList<>();
        SyncFileInfo lateInfo = null;

        try (SyncFile out = SyncFile.create("render", done)) {
            assertEquals(2, done.refCnt(), "takes its own reference");
            consumer.add(out.dup());
            assertEquals(3, done.refCnt(), "the copy has its own");
            if (!out.poll(16, TimeUnit.MILLISECONDS)) {
                lateInfo = out.info();
            }
        }
        assertNotNull(lateInfo, "pending: the poll timed out");
        assertEquals("render", lateInfo.name());
        assertEquals(FenceStatus.PENDING, lateInfo.status());
        assertEquals(2, done.refCnt(), "close() released the reference once");

        SyncFile copy = consumer.get(0);
        ring.signalUpTo(1);
        assertTrue(copy.poll(0, TimeUnit.MILLISECONDS));
        assertTrue(copy.poll(0, TimeUnit.MILLISECONDS), "and on every later call");
        copy.close();
        copy.close(); // a second close does nothing
        assertEquals(1, done.refCnt());
        assertThrows(BadHandleException.class, copy::info, "any other call on a closed file");
        assertThrows(BadHandleException.class, copy::fence);
    }

    @Test
    void syncFileNamesFenceAndMerge() throws Exception {
        Timeline t = Timeline.create("gpu");
        Fence f = t.fenceAt(7);
        try (SyncFile unnamed = SyncFile.create(f); SyncFile empty = SyncFile.create("", f)) {
            String derived = "timeline-gpu" + t.context() + "-7";
            assertEquals(derived, unnamed.name());
            assertEquals(derived, empty.name(), "an empty name, as in the kernel");
            Fence mine = unnamed.fence();
            assertSame(f, mine);
            assertEquals(4, f.refCnt(), "fence() returns a new reference");
            mine.release();
        }

        // merge: one fence per context (the later), signalled ones dropped, inputs stay open
        Timeline u = Timeline.create("video");
        Fence u1 = u.next();
        Fence u2 = u.next();
        Fence other = Timeline.create("audio").next();
        try (SyncFile a = SyncFile.create(u1); SyncFile b = SyncFile.create(u2);
                SyncFile c = SyncFile.create(other)) {
            try (SyncFile m = SyncFile.merge("m", a, b)) {
                assertEquals(1, m.info().fences().size(), "the later of one context");
                assertFalse(a.isClosed());
                assertFalse(b.isClosed());
            }
            try (SyncFile self = SyncFile.merge("self", a, a)) {
                assertEquals(1, self.info().fences().size(), "merging a file with itself");
            }
            try (SyncFile m2 = SyncFile.merge("m2", b, c)) {
                a.close();
                b.close();
                c.close();
                SyncFileInfo info = m2.info();
                assertEquals(2, info.fences().size());
                u.signalUpTo(2);
                assertEquals(FenceStatus.PENDING, m2.status(),
                        "closing the inputs changed nothing");
            }
        }
    }

    @Test
    void infoAggregateStatus() {
        Timeline t = Timeline.create("agg");
        Fence first = t.next();
        Fence failed = Timeline.create("agg2").next();
        failed.signal(new IOException("fault"));
        try (SyncFile a = SyncFile.create(first); SyncFile b = SyncFile.create(failed);
                SyncFile m = SyncFile.merge("m", a, b)) {
            // the merge drops the signalled (failed) fence: the file waits only for the first
            assertEquals(FenceStatus.PENDING, m.info().status());
        }
        // members in order: a pending member before the failed one decides PENDING
        Fence p = Fence.create(Fence.allocateContexts(1), 1);
        Fence e = Fence.create(Fence.allocateContexts(1), 1);
        try (SyncFile a = SyncFile.create(p); SyncFile b = SyncFile.create(e);
                SyncFile m = SyncFile.merge("m", a, b)) {
            e.signal(new IOException("fault"));
            SyncFileInfo info = m.info();
            assertEquals(2, info.fences().size());
            assertEquals(FenceStatus.PENDING, info.status());
            p.signal();
            assertEquals(FenceStatus.ERROR, m.info().status());
            assertEquals(0, m.info().count(FenceStatus.PENDING));
        }
    }

    @Test
    void pollManyFiles() throws Exception {
        Timeline t = Timeline.create("poll");
        try (SyncFile upload = SyncFile.create(t.next());
                SyncFile render = SyncFile.create(t.next());
                SyncFile present = SyncFile.create(Timeline.create("p").next())) {
            BitSet ready = SyncPoller.poll(10, TimeUnit.MILLISECONDS, upload, render, present);
            assertTrue(ready.isEmpty(), "empty on timeout");
            t.signalUpTo(2);
            ready = SyncPoller.poll(100, TimeUnit.MILLISECONDS, upload, render, present);
            List<Integer> handled = new ArrayList<>();
            for (int i = ready.nextSetBit(0); i >= 0; i = ready.nextSetBit(i + 1)) {
                handled.add(i);
            }
            assertEquals(List.of(0, 1), handled);

            Thread.currentThread().interrupt();
            try {
                assertThrows(InterruptedException.class,
                        () -> SyncPoller.poll(0, TimeUnit.MILLISECONDS, present),
                        "interrupted, nothing ready, zero timeout");
            } finally {
                Thread.interrupted();
            }
        }
    }

    record Frame(SyncFile renderDone, String name) { }

    @Test
    void pollerEventLoopExample() throws Exception {
        Timeline t = Timeline.create("frames");
        List<Frame> inFlight = List.of(new Frame(SyncFile.create(t.next()), "f1"),
                new Frame(SyncFile.create(t.next()), "f2"),
                new Frame(SyncFile.create(t.next()), "f3"));
        List<String> presented = new ArrayList<>();
        try (SyncPoller poller = SyncPoller.open()) {
            for (Frame f : inFlight) {
                poller.register(f.renderDone(), f);
                f.renderDone().close(); // the key holds its own reference
            }
            int rounds = 0;
            boolean running = true;
            while (running) {
                if (rounds == 0) {
                    t.signalUpTo(2);
                } else if (rounds == 1) {
                    t.signalUpTo(3);
                }
                poller.select(16, TimeUnit.MILLISECONDS);
                for (SyncPoller.Key k : poller.readyKeys()) {
                    presented.add(((Frame) k.attachment()).name());
                    k.cancel();
                }
                running = ++rounds < 3;
            }
            assertEquals(List.of("f1", "f2", "f3"), presented, "oldest signal first, each once");
            assertEquals(0, poller.selectNow());
        }
    }

    @Test
    void channelInSelectorExample() throws Exception {
        Fence frameDoneFence = Timeline.create("chan").next();
        Pipe net = Pipe.open();
        try (SyncFile frameDone = SyncFile.create(frameDoneFence);
                Selector selector = Selector.open()) {
            net.source().configureBlocking(false);
            SelectionKey netKey = net.source().register(selector, SelectionKey.OP_READ);
            SelectionKey gpu = frameDone.channel().register(selector, SelectionKey.OP_READ);
            assertEquals(0, selector.selectNow(), "pending: not readable");
            assertEquals(0, frameDone.channel().read(ByteBuffer.allocate(1)),
                    "non-blocking read: 0");
            frameDoneFence.signal();
            int presented = 0;
            int requests = 0;
            for (int round = 0; round < 2; round++) {
                selector.select(1000);
                for (SelectionKey k : selector.selectedKeys()) {
                    if (k == gpu) {
                        assertEquals(-1, frameDone.channel().read(ByteBuffer.allocate(1)));
                        k.cancel();
                        presented++;
                    } else if (k == netKey) {
                        net.source().read(ByteBuffer.allocate(1));
                        requests++;
                    }
                }
                selector.selectedKeys().clear();
                if (round == 0) {
                    net.sink().write(ByteBuffer.wrap(new byte[] {1}));
                }
            }
            assertEquals(1, presented, "once cancelled, not selected again");
            assertEquals(1, requests);
        } finally {
            net.sink().close();
            net.source().close();
        }
    }

    @Test
    void fdTableExample() {
        Fence done = Timeline.create("fd").next();
        FdTable fds = new FdTable();
        int fd = fds.install(SyncFile.create(done));
        assertEquals(0, fd, "the lowest free number, from 0");
        SyncFile in = fds.get(fd);
        assertFalse(in.isClosed());
        fds.close(fd);
        assertTrue(in.isClosed(), "close(fd) closes the file");
        assertThrows(BadHandleException.class, () -> fds.get(fd));
        assertThrows(BadHandleException.class, () -> fds.get(-1));
        int fd2 = fds.install(SyncFile.create(done));
        assertEquals(0, fd2, "numbers are reused lowest-first");
        SyncFile back = fds.detach(fd2);
        assertFalse(back.isClosed(), "detach hands the file back open");
        int objFd = fds.install(SyncObj.create());
        assertThrows(BadHandleException.class, () -> fds.get(objFd), "holds a syncobj");
        assertNotNull(fds.getSyncObj(objFd));
        int fd3 = fds.install(back);
        back.close();
        assertThrows(BadHandleException.class, () -> fds.get(fd3), "file closed directly");
    }

    @Test
    void syncObjBinaryAndTimeline() throws Exception {
        SyncObj obj = SyncObj.create();
        assertNull(obj.fence());
        Fence f = Timeline.create("bin").next();
        obj.replaceFence(f);
        assertEquals(2, f.refCnt(), "the object takes a reference");
        Fence got = obj.fence();
        assertSame(f, got);
        got.release();
        obj.signal();
        assertEquals(1, f.refCnt(), "released when replaced");
        Fence s = obj.fence();
        assertTrue(s.isSignaled());
        s.release();
        obj.reset();
        assertNull(obj.fence());

        SyncObj tl = SyncObj.create();
        Timeline gpu = Timeline.create("tl");
        Fence p1 = gpu.next();
        Fence p2 = gpu.next();
        tl.addPoint(1, p1);
        tl.addPoint(2, p2);
        assertThrows(IllegalArgumentException.class, () -> tl.addPoint(2, gpu.next()),
                "points must rise");
        assertEquals(0, tl.query());
        assertEquals(2, tl.lastSubmitted());
        Fence at2 = tl.fenceAt(2);
        gpu.signalUpTo(2);
        assertTrue(at2.isSignaled());
        assertEquals(2, tl.query());
        at2.release();
        tl.signal(5);
        assertEquals(5, tl.query(), "signal(point) appends a signalled point");
        assertThrows(PointNotSubmittedException.class, () -> tl.fenceAt(6));

        // signal(0) over pending points: point 0 reached once every earlier point is
        SyncObj z = SyncObj.create();
        Fence pend = Timeline.create("z").next();
        z.addPoint(1, pend);
        z.signal(0);
        Fence zero = z.fenceAt(0);
        assertFalse(zero.isSignaled());
        z.addPoint(3, Fence.signaledStub());
        pend.signal();
        assertTrue(zero.isSignaled());
        zero.release();
    }

    /**
     * The seed's example: a DMA fill, then a render job, with stand-ins for the engines. The
     * docs' waits use 1 s; here the render job waits up to 60 s under a 10 s bound, and the fill
     * is submitted once the job is parked: a SyncObj wait whose timeout runs out scans once more,
     * so with the wait's timeout at (or under) the bound a render job never woken by the
     * submission still returned 0 and passed, only late.
     */
    @Test
    void dmaFillThenRender() throws Exception {
        Timeline dmaEngine = Timeline.create("dma");
        Timeline gpuEngine = Timeline.create("gfx");
        ExecutorService renderPool = Executors.newSingleThreadExecutor();
        try {
            SyncObj sync = SyncObj.create(false);
            CompletableFuture<Integer> renderResult = new CompletableFuture<>();
            CompletableFuture<Thread> renderThread = new CompletableFuture<>();

            renderPool.execute(() -> {
                renderThread.complete(Thread.currentThread());
                try {
                    int r = SyncObj.await(new SyncObj[] {sync}, new long[] {1},
                            SyncObj.WAIT_FOR_SUBMIT, 60, TimeUnit.SECONDS);
                    if (r == 0) {
                        Fence rendered = gpuEngine.next();
                        sync.addPoint(2, rendered);
                    }
                    renderResult.complete(r);
                } catch (Throwable e) {
                    renderResult.completeExceptionally(e);
                }
            });

            TestSupport.awaitWaiters(sync, 1); // the render job waits for the fill's submission
            TestSupport.awaitParked(renderThread.get(10, TimeUnit.SECONDS));
            Fence filled = dmaEngine.next();
            sync.addPoint(1, filled);
            filled.signal(); // the DMA engine completes the fill

            assertEquals(0, renderResult.get(10, TimeUnit.SECONDS),
                    "the render job was not woken by the fill's submission");
            gpuEngine.signalUpTo(1);
            int r = SyncObj.await(new SyncObj[] {sync}, new long[] {2}, SyncObj.WAIT_FOR_SUBMIT,
                    5, TimeUnit.SECONDS);
            assertEquals(0, r, "point 2 reached: present");
            assertEquals(2, sync.query());
        } finally {
            renderPool.shutdownNow();
        }
    }

    @Test
    void awaitFlagsAndFailures() throws Exception {
        SyncObj empty = SyncObj.create();
        SyncObj a = SyncObj.create();
        SyncObj b = SyncObj.create();
        Fence fa = Timeline.create("a").next();
        Fence fb = Timeline.create("b").next();
        a.replaceFence(fa);
        b.replaceFence(fb);
        assertThrows(PointNotSubmittedException.class,
                () -> SyncObj.await(new SyncObj[] {a, empty}, null, 0, 1, TimeUnit.SECONDS),
                "no fence, no WAIT_FOR_SUBMIT: at once");
        assertEquals(-1, SyncObj.await(new SyncObj[] {a, b}, null, 0, 0, TimeUnit.SECONDS),
                "a zero timeout only checks");
        fb.signal();
        assertEquals(1, SyncObj.await(new SyncObj[] {a, b}, null, 0, 1, TimeUnit.SECONDS),
                "any: the lowest index that signalled");
        assertEquals(-1, SyncObj.await(new SyncObj[] {a, b}, null, SyncObj.WAIT_ALL,
                10, TimeUnit.MILLISECONDS));
        fa.signal();
        assertEquals(0, SyncObj.await(new SyncObj[] {a, b}, null, SyncObj.WAIT_ALL,
                1, TimeUnit.SECONDS));
        assertEquals(0, SyncObj.await(new SyncObj[0], null, 0, 1, TimeUnit.SECONDS), "empty objs");
        assertThrows(IllegalArgumentException.class,
                () -> SyncObj.await(new SyncObj[] {a}, null, 1 << 10, 1, TimeUnit.SECONDS));
        assertThrows(IllegalArgumentException.class,
                () -> SyncObj.await(new SyncObj[] {a}, null, 0, -1, TimeUnit.SECONDS));
        assertThrows(IllegalArgumentException.class,
                () -> SyncObj.await(new SyncObj[] {a}, new long[] {-1}, 0, 1, TimeUnit.SECONDS));
        assertThrows(IllegalArgumentException.class,
                () -> SyncObj.await(new SyncObj[] {a}, new long[] {1, 2}, 0, 1, TimeUnit.SECONDS));

        // WAIT_AVAILABLE: only until the point is submitted
        SyncObj tl = SyncObj.create();
        Fence pending = Timeline.create("avail").next();
        tl.addPoint(1, pending);
        assertEquals(0, SyncObj.await(new SyncObj[] {tl}, new long[] {1}, SyncObj.WAIT_AVAILABLE,
                1, TimeUnit.SECONDS));
        assertEquals(-1, SyncObj.await(new SyncObj[] {tl}, new long[] {1}, 0,
                0, TimeUnit.SECONDS));
    }

    @Test
    void movingFences() throws Exception {
        SyncObj src = SyncObj.create();
        SyncObj dst = SyncObj.create();
        Fence f = Timeline.create("move").next();
        src.replaceFence(f);
        SyncObj.transfer(src, 0, dst, 4);
        assertEquals(4, dst.lastSubmitted());
        SyncObj.transfer(dst, 4, dst, 6);
        assertEquals(6, dst.lastSubmitted(), "a later point of the same object");

        try (SyncFile file = dst.exportSyncFile(6)) {
            SyncObj imp = SyncObj.create();
            imp.importSyncFile(file, 0);
            Fence got = imp.fence();
            Fence exported = file.fence();
            assertSame(exported, got, "point 0: replace with the file's fence");
            got.release();
            exported.release();
            SyncObj imp2 = SyncObj.create();
            imp2.importSyncFile(file, 3);
            assertEquals(3, imp2.lastSubmitted(), "else a new point");
        }

        AtomicInteger ran = new AtomicInteger();
        List<String> order = new CopyOnWriteArrayList<>();
        dst.onPoint(6, 0, () -> order.add("signalled"));
        SyncObj later = SyncObj.create();
        later.onPoint(1, SyncObj.WAIT_AVAILABLE, () -> order.add("submitted"));
        later.onPoint(1, 0, ran::incrementAndGet);
        assertTrue(order.isEmpty());
        Fence g = Timeline.create("later").next();
        later.addPoint(1, g);
        assertEquals(List.of("submitted"), order, "run in the thread that submits");
        f.signal();
        assertEquals(List.of("submitted", "signalled"), order);
        assertEquals(0, ran.get());
        g.signal();
        assertEquals(1, ran.get());
        dst.onPoint(6, 0, ran::incrementAndGet);
        assertEquals(2, ran.get(), "runs now if it already happened");
    }

    @Test
    void handlesExample() throws Exception {
        FdTable fds = new FdTable();
        SyncObjTable objs = new SyncObjTable();
        int h = objs.create(false);
        assertEquals(1, h, "handles from 1");
        int fd = objs.handleToFd(h, fds);
        int h2 = objs.fdToHandle(fd, fds);
        assertNotEquals(h, h2);
        assertSame(objs.get(h), objs.get(h2), "the same object");
        Fence f = Timeline.create("h").next();
        objs.get(h).replaceFence(f);
        int sfd = objs.exportSyncFile(h, 0, fds);
        objs.importSyncFile(h2, sfd, 3, fds);
        objs.destroy(h);
        assertThrows(BadHandleException.class, () -> objs.get(h));
        SyncObj alive = objs.get(h2);
        assertEquals(3, alive.lastSubmitted(), "the object lives on through h2");
        f.signal();
        assertEquals(3, alive.query());
        assertThrows(BadHandleException.class, () -> objs.get(99));
        assertThrows(BadHandleException.class, () -> objs.fdToHandle(99, fds));
    }
}
