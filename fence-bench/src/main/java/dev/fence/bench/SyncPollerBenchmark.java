package dev.fence.bench;

import dev.fence.core.Fence;
import dev.fence.syncfile.SyncFile;
import dev.fence.syncfile.SyncPoller;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.BitSet;
import java.util.Iterator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Row 12 (second half) of docs/benchmarks.md: detecting the one ready handle among
 * {@value #HANDLES}.
 *
 * <ul>
 *   <li>{@code syncPoller}: the one-shot, poll(2)-style {@code SyncPoller.poll(0, ...)} over
 *       {@value #HANDLES} sync files, one of them on a signalled fence (the one at index
 *       {@value #HANDLES} / 2); the others stay pending. Something is ready, so poll only scans
 *       and returns the set: O(handles) per call by design.</li>
 *   <li>{@code syncPollerRegistered}: the epoll-style form, the one to compare with a
 *       {@link Selector}: the same {@value #HANDLES} files registered once with a
 *       {@link SyncPoller} instance, {@code selectNow()}, then the first ready key's
 *       attachment (level-triggered, so the signalled file stays ready).</li>
 *   <li>{@code selectorPipes}: a {@link Selector} over {@value #HANDLES} pipes (source channels
 *       registered for {@code OP_READ}); one byte was written to one pipe and is never read, so
 *       that pipe stays readable: {@code selectNow()}, walk and clear the selected keys.</li>
 *   <li>{@code selectorSyncFileChannels}: the same Selector loop over the {@code channel()} of
 *       {@value #HANDLES} sync files, one signalled: the library's bridge into NIO event
 *       loops.</li>
 *   <li>{@code syncPollerRegisteredNewReady} and {@code selectorPipesNewReady}: a handle that
 *       becomes ready during the operation, detected and consumed. The steady-state pair above
 *       re-selects a handle that was already ready, which a SyncPoller answers from what it
 *       collected before while a Selector asks the kernel again. Here, among
 *       {@value #HANDLES} - 1 pending files, each operation creates a fence and its file,
 *       registers it, signals it, {@code selectNow()}s, reads the key, cancels it and closes the
 *       file (a sync file becomes ready once, so a new readiness needs a new fence: this is the
 *       whole cost a user pays per event). The peer writes one byte to one of {@value #HANDLES}
 *       idle pipes, {@code selectNow()}s, walks the selected keys and reads the byte back.</li>
 *   <li>{@code cfScan}: for scale, the plain O(n) scan a poll(2)-style API must do:
 *       {@code isDone()} over {@value #HANDLES} {@link CompletableFuture}s, one complete, into
 *       a {@link BitSet}.</li>
 * </ul>
 * Each returns the index of the ready handle, checked against the expected one.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch"})
public class SyncPollerBenchmark {

    static final int HANDLES = 1000;
    static final int READY = HANDLES / 2;
    /** READY boxed once: boxing it per operation (500 is past Integer's cache) cost 16 B/op. */
    private static final Integer READY_ATTACHMENT = READY;

    private SyncFile[] files;
    private SyncPoller poller;
    private Fence[] fences;
    private Pipe[] pipes;
    private Selector pipeSelector;
    private SyncFile[] channelFiles;
    private Selector channelSelector;
    private CompletableFuture<?>[] futures;
    private SyncPoller cyclePoller;
    private SyncFile[] cycleFiles;
    private long cycleContext;
    private long cycleSeqno;
    private Pipe[] cyclePipes;
    private Selector cycleSelector;
    private final ByteBuffer oneByte = ByteBuffer.allocate(1);

    /**
     * Builds the files, pipes and selectors.
     *
     * @throws IOException if a pipe or selector cannot be opened
     * @throws InterruptedException never (the fixture check does not wait)
     */
    @Setup(Level.Trial)
    public void setUp() throws IOException, InterruptedException {
        long ctx = Fence.allocateContexts(2 * HANDLES);
        fences = new Fence[2 * HANDLES];
        files = new SyncFile[HANDLES];
        channelFiles = new SyncFile[HANDLES];
        for (int i = 0; i < HANDLES; i++) {
            fences[i] = Fence.create(ctx + i, 1);
            files[i] = SyncFile.create(fences[i]);
            fences[HANDLES + i] = Fence.create(ctx + HANDLES + i, 1);
            channelFiles[i] = SyncFile.create(fences[HANDLES + i]);
        }
        poller = SyncPoller.open();
        for (int i = 0; i < HANDLES; i++) {
            poller.register(files[i], i);
        }
        fences[READY].signal();
        futures = new CompletableFuture<?>[HANDLES];
        for (int i = 0; i < HANDLES; i++) {
            futures[i] = new CompletableFuture<Void>();
        }
        futures[READY].complete(null);

        pipeSelector = Selector.open();
        pipes = new Pipe[HANDLES];
        for (int i = 0; i < HANDLES; i++) {
            pipes[i] = Pipe.open();
            pipes[i].source().configureBlocking(false);
            pipes[i].source().register(pipeSelector, SelectionKey.OP_READ, i);
        }
        pipes[READY].sink().write(ByteBuffer.wrap(new byte[] {1}));

        channelSelector = Selector.open();
        for (int i = 0; i < HANDLES; i++) {
            channelFiles[i].channel().register(channelSelector, SelectionKey.OP_READ, i);
        }
        fences[HANDLES + READY].signal();

        // the new-readiness pair: HANDLES - 1 pending files, HANDLES idle pipes
        long cycleCtx = Fence.allocateContexts(HANDLES);
        cycleContext = cycleCtx + HANDLES - 1;
        cyclePoller = SyncPoller.open();
        cycleFiles = new SyncFile[HANDLES - 1];
        for (int i = 0; i < HANDLES - 1; i++) {
            cycleFiles[i] = SyncFile.create(Fence.create(cycleCtx + i, 1));
            cyclePoller.register(cycleFiles[i], i < READY ? i : i + 1);
        }
        cycleSelector = Selector.open();
        cyclePipes = new Pipe[HANDLES];
        for (int i = 0; i < HANDLES; i++) {
            cyclePipes[i] = Pipe.open();
            cyclePipes[i].source().configureBlocking(false);
            cyclePipes[i].source().register(cycleSelector, SelectionKey.OP_READ, i);
        }
        // check each fixture once before measuring
        if (syncPoller() != READY || syncPollerRegistered() != READY || selectorPipes() != READY
                || selectorSyncFileChannels() != READY || syncPollerRegisteredNewReady() != READY
                || selectorPipesNewReady() != READY) {
            throw new IllegalStateException("fixture: the ready handle is not detected");
        }
    }

    /**
     * Closes everything.
     *
     * @throws IOException if closing fails
     */
    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        poller.close();
        pipeSelector.close();
        channelSelector.close();
        cyclePoller.close();
        cycleSelector.close();
        for (Pipe p : cyclePipes) {
            p.source().close();
            p.sink().close();
        }
        for (SyncFile f : cycleFiles) {
            f.close();
        }
        for (int i = 0; i < HANDLES; i++) {
            pipes[i].source().close();
            pipes[i].sink().close();
            files[i].close();
            channelFiles[i].close();
        }
        for (Fence f : fences) {
            f.signal();
        }
    }

    /**
     * SyncPoller with one ready file.
     *
     * @return the ready index
     * @throws InterruptedException never (nothing waits)
     */
    @Benchmark
    public int syncPoller() throws InterruptedException {
        BitSet ready = SyncPoller.poll(0, TimeUnit.NANOSECONDS, files);
        return check(ready.nextSetBit(0));
    }

    /**
     * The registered SyncPoller with one ready file.
     *
     * @return the ready index
     */
    @Benchmark
    public int syncPollerRegistered() {
        if (poller.selectNow() != 1) {
            throw new IllegalStateException("expected one ready key");
        }
        return check((Integer) poller.readyKeys().get(0).attachment());
    }

    /**
     * A file that becomes ready in this operation, among {@value #HANDLES} - 1 pending ones:
     * create, register, signal, select, read the key, cancel, close.
     *
     * @return the ready index
     */
    @Benchmark
    public int syncPollerRegisteredNewReady() {
        Fence f = Fence.create(cycleContext, ++cycleSeqno);
        try (SyncFile file = SyncFile.create(f)) {
            SyncPoller.Key key = cyclePoller.register(file, READY_ATTACHMENT);
            f.signal();
            if (cyclePoller.selectNow() != 1) {
                throw new IllegalStateException("expected one ready key");
            }
            int index = (Integer) cyclePoller.readyKeys().get(0).attachment();
            key.cancel();
            return check(index);
        }
    }

    /**
     * A pipe that becomes readable in this operation, among {@value #HANDLES} idle ones: write
     * one byte, select, walk the keys, read the byte back.
     *
     * @return the ready index
     * @throws IOException if a write, select or read fails
     */
    @Benchmark
    public int selectorPipesNewReady() throws IOException {
        Pipe p = cyclePipes[READY];
        oneByte.clear();
        p.sink().write(oneByte);
        int index = selectOne(cycleSelector);
        oneByte.clear();
        if (p.source().read(oneByte) != 1) {
            throw new IllegalStateException("the byte was not there");
        }
        return check(index);
    }

    /**
     * Selector over pipes with one readable.
     *
     * @return the ready index
     * @throws IOException if select fails
     */
    @Benchmark
    public int selectorPipes() throws IOException {
        return check(selectOne(pipeSelector));
    }

    /**
     * Selector over sync-file channels with one signalled.
     *
     * @return the ready index
     * @throws IOException if select fails
     */
    @Benchmark
    public int selectorSyncFileChannels() throws IOException {
        return check(selectOne(channelSelector));
    }

    /**
     * The O(n) scan over completable futures.
     *
     * @return the ready index
     */
    @Benchmark
    public int cfScan() {
        BitSet ready = new BitSet(HANDLES);
        CompletableFuture<?>[] fs = futures;
        for (int i = 0; i < fs.length; i++) {
            if (fs[i].isDone()) {
                ready.set(i);
            }
        }
        return check(ready.nextSetBit(0));
    }

    private static int selectOne(Selector selector) throws IOException {
        selector.selectNow();
        int found = -1;
        Iterator<SelectionKey> it = selector.selectedKeys().iterator();
        while (it.hasNext()) {
            SelectionKey k = it.next();
            found = (Integer) k.attachment();
            it.remove();
        }
        return found;
    }

    private static int check(int index) {
        if (index != READY) {
            throw new IllegalStateException("expected handle " + READY + " ready, got " + index);
        }
        return index;
    }
}

// How to run:
//   java -jar fence-bench/target/benchmarks.jar SyncPollerBenchmark -f 1 -wi 2 -i 3 -prof gc
