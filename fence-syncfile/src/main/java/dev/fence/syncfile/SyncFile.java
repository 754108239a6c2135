package dev.fence.syncfile;

import dev.fence.core.Fence;
import dev.fence.core.FenceCallback;
import dev.fence.core.FenceStatus;
import dev.fence.core.Fences;
import dev.fence.core.internal.Diagnostics;
import dev.fence.syncfile.internal.Refs;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.channels.Pipe;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A handle owning one fence reference, the kernel's {@code struct sync_file}: what a driver
 * hands to another module (or process) to say "the buffer is ready when this signals".
 *
 * <pre>{@code
 * try (SyncFile done = SyncFile.create("render", renderFence)) {
 *     int fd = FdTable.global().install(done.dup());    // hand a copy to another module
 *     if (!done.poll(16, TimeUnit.MILLISECONDS)) {
 *         log.info("frame late: {}", done.info());
 *     }
 * }
 * }</pre>
 *
 * <p>A file holds its own reference to its fence ({@link Fence#retain()}) from creation until
 * {@link #close()}, which releases it exactly once; a second {@code close()} does nothing. Any
 * other use of a closed file throws {@link BadHandleException}, the {@code EBADF} of this world.
 * {@link #fence()} hands out a new reference that the caller releases.
 *
 * <p>Readiness is level-triggered, like {@code POLLIN} on a sync_file fd: once the fence has
 * signalled, {@link #poll(long, TimeUnit)} returns {@code true} immediately, every time, and
 * {@link #channel()} stays readable. As in the kernel, an error-signalled fence is "ready" too
 * (poll never reports an error); check {@link #info()} or {@link #status()} for the outcome.
 *
 * <p>All methods are thread-safe. Closing a file while another thread is still using it is a
 * race in the caller, as closing an fd another thread reads is: the other thread either completes
 * its operation or gets {@link BadHandleException}.
 */
public final class SyncFile implements AutoCloseable {

    /*
     * Implementation overview.
     *
     * `fence` is the only mutable field on the hot path: set at construction, swapped to null
     * exactly once by close() (getAndSet), read with volatile semantics by every operation
     * (null => BadHandleException). `counted` says whether construction took a reference that
     * close() must release (false only for fences that were already at refcount zero inside an
     * uncounted container member, see Fence.tryRetain).
     *
     * The channel is created lazily. Its state (a lock, the pipe, the notifier) lives in a
     * ChannelState that the first channel() call installs by CAS into `channel` (volatile; null
     * until then), so a file that never gives out a channel allocates no lock and close() takes
     * none. channel() installs (or reads) the state, locks it, and re-checks `fence` under the
     * lock; close() nulls `fence` (getAndSet) and only then reads `channel`. Both pairs are
     * volatile accesses, so at least one side sees the other's write: if close() read null, any
     * later install precedes its installer's re-check, which sees the file closed and refuses;
     * if close() read the state, it takes its lock and frees a pipe made before, while a
     * channel() that locks after it sees the file closed. So a channel is either created before
     * close (and close frees it) or refused (jcstress SyncFileTests.CloseVsChannel). The
     * notifier is a FenceCallback that closes the pipe's sink when the fence signals: the source
     * then reports end-of-stream forever, which is what makes the channel level-triggered.
     * Nothing in the lock runs user code: channel() enables signalling and asks the driver
     * (pollSignaled) before it takes the lock, holding a reference meanwhile, so under the lock
     * addCallback only links the notifier (before the twentieth session the enable hook, and the
     * callbacks its "already done" runs, ran under the lock: a callback that closed the file
     * freed the half-made pipe). The notifier itself only closes a channel.
     */

    private static final Logger LOG = LoggerFactory.getLogger(SyncFile.class);
    private static final VarHandle FENCE;
    private static final VarHandle INSTALLED;
    private static final VarHandle CHANNEL;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            FENCE = l.findVarHandle(SyncFile.class, "fence", Fence.class);
            INSTALLED = l.findVarHandle(SyncFile.class, "installed", boolean.class);
            CHANNEL = l.findVarHandle(SyncFile.class, "channel", ChannelState.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final String userName;
    private final boolean counted;
    @SuppressWarnings("unused") // accessed through FENCE
    private volatile Fence fence;
    /** Whether an {@link FdTable} holds the file; CAS by FdTable.install, cleared by detach. */
    private volatile boolean installed;
    /** Installed once by the first {@link #channel()} call (CAS); see the overview. */
    private volatile ChannelState channel;

    private SyncFile(String userName, Fence fence, boolean counted) {
        this.userName = userName;
        this.fence = fence;
        this.counted = counted;
    }

    /**
     * Wraps {@code fence} in a new file that takes its own reference to it, the kernel's
     * {@code sync_file_create()}. The file's name is derived from the fence (see {@link #name()}).
     *
     * @param fence the fence
     * @return the new file
     * @throws NullPointerException if {@code fence} is null
     */
    public static SyncFile create(Fence fence) {
        Objects.requireNonNull(fence, "fence");
        return new SyncFile(null, fence, fence.tryRetain());
    }

    /**
     * Wraps {@code fence} in a new named file that takes its own reference to it.
     *
     * @param name the file's name
     * @param fence the fence
     * @return the new file
     * @throws NullPointerException if {@code name} or {@code fence} is null
     */
    public static SyncFile create(String name, Fence fence) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(fence, "fence");
        return new SyncFile(name, fence, fence.tryRetain());
    }

    /** Wraps a fence whose reference the caller hands over (it is not retained again). */
    static SyncFile adopt(String name, Fence owned, boolean counted) {
        return new SyncFile(name, owned, counted);
    }

    /**
     * A new file on the fences of {@code a} and {@code b}, the kernel's {@code SYNC_IOC_MERGE}:
     * containers are flattened, signalled fences dropped, and only the later fence of each
     * context kept (see {@link Fences#merge}). {@code a} and {@code b} stay open and unchanged;
     * they may be the same file.
     *
     * @param name the new file's name
     * @param a a file
     * @param b another file, or {@code a} again
     * @return the merged file
     * @throws NullPointerException if an argument is null
     * @throws BadHandleException if {@code a} or {@code b} is closed
     */
    public static SyncFile merge(String name, SyncFile a, SyncFile b) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(a, "a");
        Objects.requireNonNull(b, "b");
        // Hold a reference on each input while merging, as the kernel holds both files (fdget)
        // for the ioctl: a concurrent close() of a or b must not release a fence that the merge
        // is reading or retaining (the new array would then take it uncounted, and the merged
        // file would wait on a released fence).
        Fence fa = a.peek();
        boolean heldA = a.retainOrClosed(fa);
        try {
            Fence fb = b.peek();
            boolean heldB = b.retainOrClosed(fb);
            try {
                Refs.Merged m = Refs.merge(fa, fb);
                Fence merged = m.fence();
                if (m.fresh()) {
                    // The birth reference is ours. A new array holds its members, as the
                    // kernel's does, so closing the input files cannot release a member the
                    // merged file waits for.
                    return new SyncFile(name, merged, true);
                }
                // fa, fb or one of their members, alive while we hold fa and fb; false only for
                // an uncounted fence
                return adopt(name, merged, merged.tryRetain());
            } finally {
                if (heldB) {
                    fb.release();
                }
            }
        } finally {
            if (heldA) {
                fa.release();
            }
        }
    }

    /**
     * A second file on the same fence, with the same name (its own reference): what
     * {@code dup(2)} gives for an fd, as far as ownership goes.
     *
     * @return the copy
     * @throws BadHandleException if this file is closed
     */
    public SyncFile dup() {
        Fence f = peek();
        boolean held = retainOrClosed(f);
        return new SyncFile(userName, f, held);
    }

    /**
     * Takes a reference on {@code f}, the fence this file held when peeked. An open file that
     * counts its reference keeps the count at one or more, so a failed retain means a concurrent
     * {@link #close()} released the last one: the fence is gone and so is the file.
     *
     * @return whether a reference was taken (false only for an uncounted fence)
     * @throws BadHandleException if the file was closed concurrently
     */
    boolean retainOrClosed(Fence f) {
        if (f.tryRetain()) {
            return true;
        }
        if (counted) {
            throw new BadHandleException("sync file closed concurrently" + (userName == null ? ""
                    : ": " + userName));
        }
        return false;
    }

    /**
     * The fence this file holds, without a new reference; for this package's own use.
     *
     * @throws BadHandleException if closed
     */
    Fence peek() {
        Fence f = fence;
        if (f == null) {
            throw new BadHandleException("sync file is closed" + (userName == null ? ""
                    : ": " + userName));
        }
        return f;
    }

    /**
     * The file's name: the one given at {@link #create(String, Fence)} or
     * {@link #merge(String, SyncFile, SyncFile)}, or else, like the kernel's
     * {@code sync_file_get_name()}, {@code driver-timeline<context>-<seqno>} of its fence (a
     * name hook that returns null or throws shows as a placeholder naming the hook).
     *
     * @return the name
     * @throws BadHandleException if closed
     */
    public String name() {
        return nameOf(peek());
    }

    private String nameOf(Fence f) {
        if (userName != null && !userName.isEmpty()) { // the kernel treats "" as no name too
            return userName;
        }
        return Diagnostics.hookName(f, false) + '-' + Diagnostics.hookName(f, true)
                + Long.toUnsignedString(f.context())
                + '-' + Long.toUnsignedString(f.seqno());
    }

    /**
     * A new reference to the file's fence, the kernel's {@code sync_file_get_fence()}. The
     * caller owns it and should {@link Fence#release()} it when done. The one exception is a
     * file over a fence whose count had already reached zero (a container member released
     * kernel-style, which the container keeps reachable): no reference can be taken on it, so
     * the fence comes back as it is, {@link Fence#refCnt()} reads 0, and it must not be released.
     *
     * @return the fence, retained unless its count had already reached zero
     * @throws BadHandleException if closed
     */
    public Fence fence() {
        Fence f = peek();
        retainOrClosed(f);
        return f;
    }

    /**
     * The status of the file's fence ({@code dma_fence_get_status}); cheaper than
     * {@link #info()}.
     *
     * @return pending, signalled or error
     * @throws BadHandleException if closed
     */
    public FenceStatus status() {
        return peek().status();
    }

    /**
     * Whether the fence has signalled, without enabling signalling: unlike
     * {@code poll(0, unit)}, it does not tell a driver that someone is interested, so a driver
     * that notices completion only once enabled reads pending here until something enables it.
     *
     * @return {@code true} once signalled, and on every later call
     * @throws BadHandleException if closed
     */
    public boolean isSignaled() {
        return peek().isSignaled();
    }

    /**
     * Describes the file and each fence in it, the kernel's {@code SYNC_IOC_FILE_INFO}. A name
     * hook of a driver's fence that returns null or throws is reported as a placeholder naming
     * the hook, as in {@link Fence#describe()}.
     *
     * @return name, aggregated status, and one {@link FenceInfo} per flattened member
     * @throws BadHandleException if closed
     */
    public SyncFileInfo info() {
        Fence f = peek();
        List<Fence> leaves = Fences.unwrap(f);
        List<FenceInfo> infos = new ArrayList<>(leaves.size());
        FenceStatus agg = FenceStatus.SIGNALED;
        for (Fence leaf : leaves) {
            FenceStatus st = leaf.status();
            long ts = st == FenceStatus.PENDING ? 0L : leaf.timestamp();
            infos.add(new FenceInfo(Diagnostics.hookName(leaf, true),
                    Diagnostics.hookName(leaf, false), st, ts));
            if (agg == FenceStatus.SIGNALED) {
                agg = st;
            }
        }
        return new SyncFileInfo(nameOf(f), agg, infos);
    }

    /**
     * Waits until the fence signals or the timeout elapses, like {@code poll(2)} with
     * {@code POLLIN} on a sync_file fd. Level-triggered: once signalled, every call returns
     * {@code true} at once.
     *
     * @param timeout how long to wait; 0 checks without waiting (enabling signalling, as
     *     poll(2) does)
     * @param unit the unit of {@code timeout}
     * @return {@code true} if the fence has signalled (with or without an error)
     * @throws InterruptedException if interrupted while waiting, or if the thread is already
     *     interrupted when the fence is found pending (with a zero timeout too, as
     *     {@code poll(2)} returns {@code EINTR}); the interrupt status is cleared
     * @throws IllegalArgumentException if {@code timeout} is negative
     * @throws NullPointerException if {@code unit} is null
     * @throws BadHandleException if closed
     */
    public boolean poll(long timeout, TimeUnit unit) throws InterruptedException {
        Objects.requireNonNull(unit, "unit");
        if (timeout < 0) {
            throw new IllegalArgumentException("negative timeout: " + timeout);
        }
        Fence f = peek();
        if (timeout == 0) {
            return f.await(0, unit);
        }
        // Waiting holds a reference, as poll(2) holds the file: a concurrent close() must not
        // drop the last one under the waiter (that would signal the fence with an error).
        boolean held = retainOrClosed(f);
        try {
            return f.await(timeout, unit);
        } finally {
            if (held) {
                f.release();
            }
        }
    }

    /**
     * Tells the fence's driver when the result is needed, the kernel's
     * {@code SYNC_IOC_SET_DEADLINE}. A hint; ignored once signalled.
     *
     * @param deadlineNanos the deadline in the {@link System#nanoTime()} time base
     * @throws BadHandleException if closed
     */
    public void setDeadline(long deadlineNanos) {
        peek().setDeadline(deadlineNanos);
    }

    /**
     * A selectable channel that becomes readable when the fence signals, so the file can sit in
     * a {@link java.nio.channels.Selector} beside sockets. The channel is created on the first
     * call (the same one is returned afterwards), is already in non-blocking mode, and is closed
     * by {@link #close()}; do not close it yourself.
     *
     * <p>The channel is level-triggered: it carries no data, and once the fence has signalled it
     * is at end-of-stream for good, so {@code read} returns {@code -1} and every select reports
     * it readable ({@link java.nio.channels.SelectionKey#OP_READ}) until the file is closed or
     * the key cancelled. Before the fence signals, a non-blocking {@code read} returns 0 (a
     * blocking one waits for the signal). Reading never loses readiness.
     *
     * @return the channel
     * @throws IOException if the pipe behind the channel cannot be created
     * @throws BadHandleException if closed
     */
    public Pipe.SourceChannel channel() throws IOException {
        Fence f = peek();
        // The driver's hooks run here, before the channel lock, and so do the fence's callbacks
        // if a hook finds the work done: under the lock, a callback that closes this file would
        // re-enter it and free the pipe being made, and a hook that waits for a lock whose
        // holder closes this file would deadlock. pollSignaled is asked too, as
        // sync_file_poll's dma_fence_is_signaled asks it. A reference is held meanwhile, so a
        // concurrent close() does not release the fence under the hooks.
        boolean held = retainOrClosed(f);
        try {
            f.enableSignaling();
            f.isSignaled();
            return channel(f);
        } finally {
            if (held) {
                f.release();
            }
        }
    }

    private Pipe.SourceChannel channel(Fence f) throws IOException {
        ChannelState cs = channel;
        if (cs == null) {
            ChannelState fresh = new ChannelState();
            cs = (ChannelState) CHANNEL.compareAndExchange(this, (ChannelState) null, fresh);
            if (cs == null) {
                cs = fresh;
            }
        }
        cs.lock.lock();
        try {
            if (fence == null) {
                peek(); // closed meanwhile: throws
            }
            if (cs.pipe == null) {
                Pipe p = Pipe.open();
                try {
                    p.source().configureBlocking(false);
                } catch (IOException e) {
                    closeQuietly(p);
                    throw e;
                }
                SinkCloser n = new SinkCloser(p.sink());
                cs.pipe = p;
                cs.notifier = n;
                if (!f.addCallback(n)) {
                    n.closeSink(); // already signalled
                }
            }
            return cs.pipe.source();
        } finally {
            cs.lock.unlock();
        }
    }

    /** Marks the file as installed in an {@link FdTable}; false if it already is (in any). */
    boolean claimInstall() {
        return INSTALLED.compareAndSet(this, false, true);
    }

    /** Undoes {@link #claimInstall()} when a table hands the file back. */
    void releaseInstall() {
        installed = false;
    }

    /**
     * Whether {@link #close()} has been called.
     *
     * @return {@code true} once closed
     */
    public boolean isClosed() {
        return fence == null;
    }

    /**
     * Releases the file's fence reference and frees the channel, if any. Only the first call
     * does anything; later calls return quietly.
     */
    @Override
    public void close() {
        Fence f = (Fence) FENCE.getAndSet(this, (Fence) null);
        if (f == null) {
            return;
        }
        ChannelState cs = channel; // read after fence was nulled: see the overview
        if (cs != null) {
            cs.lock.lock();
            try {
                if (cs.pipe != null) {
                    f.removeCallback(cs.notifier);
                    closeQuietly(cs.pipe);
                    cs.pipe = null;
                    cs.notifier = null;
                }
            } finally {
                cs.lock.unlock();
            }
        }
        if (counted) {
            f.release();
        }
    }

    private static void closeQuietly(Pipe p) {
        // Source first: closing the sink is how a signal is reported (the source reads EOF), so
        // closing it first would show a Selector a pending file as readable for a moment.
        try {
            p.source().close();
        } catch (IOException e) {
            Diagnostics.debug(LOG, "closing a sync file pipe source", e);
        }
        try {
            p.sink().close();
        } catch (IOException e) {
            Diagnostics.debug(LOG, "closing a sync file pipe sink", e);
        }
    }

    @Override
    public String toString() {
        Fence f = fence;
        if (f == null) {
            return "SyncFile[closed" + (userName == null ? "" : " " + userName) + "]";
        }
        return "SyncFile[" + nameOf(f) + " " + Diagnostics.describe(f) + "]";
    }

    /** The channel's state, created by the first {@link #channel()} call. */
    private static final class ChannelState {
        final ReentrantLock lock = new ReentrantLock();
        Pipe pipe; // guarded by lock
        SinkCloser notifier; // guarded by lock
    }

    /** Closes the pipe's sink when the fence signals, making the source readable for good. */
    private static final class SinkCloser extends FenceCallback {
        private final Pipe.SinkChannel sink;

        SinkCloser(Pipe.SinkChannel sink) {
            this.sink = sink;
        }

        @Override
        protected void onSignaled(Fence fence) {
            closeSink();
        }

        void closeSink() {
            try {
                sink.close();
            } catch (IOException e) {
                Diagnostics.warn(LOG, "could not close the pipe sink of a sync file channel", e);
            }
        }

        @Override
        public String toString() {
            return "SyncFile channel notifier";
        }
    }
}
