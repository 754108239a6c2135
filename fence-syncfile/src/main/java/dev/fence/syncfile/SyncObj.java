package dev.fence.syncfile;

import dev.fence.core.CallbackDeferral;
import dev.fence.core.Fence;
import dev.fence.core.FenceCallback;
import dev.fence.core.FenceChain;
import dev.fence.core.Fences;
import dev.fence.core.SignallingSection;
import dev.fence.core.internal.Diagnostics;
import dev.fence.syncfile.internal.Refs;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A container whose fence can be replaced, the kernel's {@code drm_syncobj}. Used two ways:
 *
 * <ul>
 *   <li><b>Binary</b>: the object holds one fence, or none. {@link #replaceFence(Fence)} installs
 *       one, {@link #signal()} installs an already-signalled one, {@link #reset()} empties it, and
 *       a wait on point 0 waits for whatever fence is installed.</li>
 *   <li><b>Timeline</b>: the object holds the newest link of a {@link FenceChain}; each
 *       {@link #addPoint(long, Fence) point} is a 64-bit value that is reached when its fence
 *       <em>and every earlier point</em> have signalled. {@link #query()} returns the last point
 *       reached, {@link #fenceAt(long)} the fence for a point.</li>
 * </ul>
 *
 * <p>A timeline example, the seed's DMA fill then render: the DMA engine signals point 1 when the
 * buffer is filled, and the render job is submitted to wait for it.
 *
 * <pre>{@code
 * SyncObj sync = SyncObj.create(false);
 * Fence fill = dmaEngine.submitFill(buffer);          // some fence from the DMA driver
 * sync.addPoint(1, fill);                              // point 1: buffer filled
 * // render thread, possibly before the fill was even submitted:
 * SyncObj.await(new SyncObj[] {sync}, new long[] {1}, SyncObj.WAIT_FOR_SUBMIT,
 *         1, TimeUnit.SECONDS);
 * Fence render = gpu.submitRender(buffer);
 * sync.addPoint(2, render);                            // point 2: frame rendered
 * }</pre>
 *
 * <p>{@link #await} waits on many objects and points at once, with the kernel's flags
 * ({@link #WAIT_ALL}, {@link #WAIT_FOR_SUBMIT}, {@link #WAIT_AVAILABLE}); {@link #onPoint} runs a
 * callback when a point is submitted or reached (the kernel's eventfd registration);
 * {@link #exportSyncFile(long)} and {@link #importSyncFile(SyncFile, long)} move fences to and
 * from {@link SyncFile}s; {@link SyncObjTable} gives objects integer handles.
 *
 * <p>Differences from the kernel: points must rise ({@link #addPoint} rejects a point not above
 * the newest one, where the kernel only logs a debug message and starts a new context); points
 * are non-negative {@code long}s, 0 to 2<sup>63</sup>-1, where the kernel's are unsigned 64-bit
 * (a negative point, usually a bug such as -1 for "none", is an
 * {@link IllegalArgumentException}); and timeouts are relative durations rather than absolute
 * times.
 *
 * <p>Reference counting: the object holds a reference on its current fence ({@link Fence#retain()}
 * when installed, {@link Fence#release()} when replaced or reset). For a timeline, the reference
 * on the previous head passes to the new chain link, and the object keeps one reference on each
 * point's fence for as long as the chain exists (core chains do not count references, so these
 * are never dropped; the garbage collector reclaims them). Fences handed out by
 * {@link #fence()} and {@link #fenceAt(long)} carry a new reference for the caller. (A fence
 * whose count had already reached zero when it was installed, for example a member of a core
 * container that its creator released, cannot be retained again; such a fence is used and
 * handed out uncounted, and releasing it is an {@link IllegalStateException}.)
 */
public final class SyncObj {

    /*
     * Implementation overview.
     *
     * State:
     *   head        volatile Fence (null = no fence). Written only under `lock`; read without it.
     *               Binary: the fence. Timeline: the newest FenceChain link (links only ever
     *               point to older links, and FenceChain collects signalled ones itself).
     *   headCounted whether the object holds a counted reference on `head`; under `lock`.
     *   waiters     point waiters (await with WAIT_FOR_SUBMIT/WAIT_AVAILABLE, onPoint); under
     *               `lock`. A waiter stays queued while its point is not available (no fence, or
     *               the timeline has not reached that point's submission).
     *
     * Transitions (published under `lock`, all O(waiters)):
     *   replaceFence(f)/reset(): head := f; then every queued waiter whose point is now available
     *     is dequeued and its fence captured (retained) for it; an await entry takes it and is
     *     woken there and then (the kernel's syncobj_wait_syncobj_func, under its lock), unless
     *     finding it would poll (below): then just after the unlock.
     *   addPoint(p, f): h := head; require p > h.seqno if h is a chain; make link(h, f, p)
     *     before locking (linking polls the earlier fences, and a driver's pollSignaled must not
     *     run under `lock`); under `lock`, if head is still h, head := the link, else start over
     *     on the new head; then the same waiter scan.
     * After unlocking, the writer delivers the captured fences to the onPoint waiters (this runs
     * their user callbacks, or queues them on the fences) and finally releases the replaced head.
     * No user code and no fence callback ever runs while `lock` is held: linking and finding
     * poll earlier fences (isSignaled), which may signal a driver's fence there, so writers run
     * inside a CallbackDeferral and such a fence's callbacks run after the unlock. Nothing polls
     * under `lock` either (a driver's pollSignaled may take the driver's lock): linking, which
     * polls on every append, runs before the lock, and so does a registration's find
     * (addWaiter). The writers' waiter scan decides under `lock` which queued waiters' points
     * are now submitted (submitted(), which polls nothing) and dequeues them; a point whose
     * fence is the new head itself (every point above the head link's predecessor: so for
     * every waiter a link this object appends releases, since a queued waiter's point is above
     * the old head) is captured there; the others (a chain installed from elsewhere at point 0,
     * over waiters for its earlier points) are found after the unlock on that head, retained
     * by the scan. The kernel's submit-waiter scan finds under its spinlock in every case.
     *
     * Readers (fence(), fenceAt(), query(), await's first pass) read `head` once and work on that
     * snapshot; a fence they hand out is a snapshot too: a later replace or reset does not change
     * it (the kernel's snapshot semantics). Taking a reference on a snapshot can lose to a
     * concurrent replace that releases the old head to zero; capture() then retries on the new
     * head (the kernel's dma_fence_get_rcu_safe loop).
     *
     * No lost wakeups: a waiter first checks lock-free; if the point is missing, it registers
     * under `lock` and re-checks there (addWaiter), so a writer either published before the
     * re-check (the waiter captures directly, after the unlock) or publishes after the waiter is
     * queued (the writer captures for it). await's thread clears its `fired` flag before each
     * scan and parks only if no event set it since, so a submission or signal between the scan
     * and the park is seen.
     */

    /** {@link #await} flag: wait for every object (default: the first one). */
    public static final int WAIT_ALL = 1;
    /**
     * {@link #await} flag: an object without a fence (or a point not yet added) is waited for
     * instead of being an error.
     */
    public static final int WAIT_FOR_SUBMIT = 1 << 1;
    /**
     * {@link #await} and {@link #onPoint} flag: wait only until the point has a fence (was
     * submitted), not until it signals. Implies waiting for submission.
     */
    public static final int WAIT_AVAILABLE = 1 << 2;

    private static final int ALL_FLAGS = WAIT_ALL | WAIT_FOR_SUBMIT | WAIT_AVAILABLE;
    private static final Logger LOG = LoggerFactory.getLogger(SyncObj.class);

    private final ReentrantLock lock = new ReentrantLock();
    private volatile Fence head;
    private boolean headCounted;
    private final List<PointWaiter> waiters = new ArrayList<>();

    private SyncObj() {
    }

    /**
     * Creates an object without a fence, the kernel's {@code DRM_IOCTL_SYNCOBJ_CREATE} with no
     * flags.
     *
     * @return the new object
     */
    public static SyncObj create() {
        return new SyncObj();
    }

    /**
     * Creates an object, empty or holding an already-signalled fence
     * ({@code DRM_SYNCOBJ_CREATE_SIGNALED}).
     *
     * @param signaled {@code true} to start signalled
     * @return the new object
     */
    public static SyncObj create(boolean signaled) {
        SyncObj obj = new SyncObj();
        if (signaled) {
            obj.head = signaledFence();
            obj.headCounted = true;
        }
        return obj;
    }

    private static Fence signaledFence() {
        Fence f = Fence.create(0L, 0L);
        f.signal();
        return f;
    }

    // ------------------------------------------------------------------------------------------
    // Binary operations

    /**
     * The current fence, with a new reference for the caller (release it when done), the
     * kernel's {@code drm_syncobj_fence_get()}. For a timeline this is the newest chain link.
     *
     * @return the fence, or {@code null} if the object has none
     */
    public Fence fence() {
        Capture c = capture(0L);
        return c == null ? null : c.fence;
    }

    /**
     * Whether the object currently holds a fence.
     *
     * @return {@code true} if it does
     */
    public boolean hasFence() {
        return head != null;
    }

    /**
     * Installs {@code fence} (taking a reference on it), the kernel's
     * {@code drm_syncobj_replace_fence()}: waiters for submission see it at once; waits already
     * running keep the fence they captured. {@code null} empties the object, like {@link #reset()}.
     *
     * @param fence the new fence, or {@code null}
     */
    public void replaceFence(Fence fence) {
        boolean counted = fence != null && fence.tryRetain();
        install(fence, counted, false);
    }

    /**
     * Installs a new, already-signalled fence ({@code DRM_IOCTL_SYNCOBJ_SIGNAL}).
     */
    public void signal() {
        install(signaledFence(), true, false);
    }

    /**
     * Removes the fence ({@code DRM_IOCTL_SYNCOBJ_RESET}); later waits without
     * {@link #WAIT_FOR_SUBMIT} fail with {@link PointNotSubmittedException} until a fence is
     * installed again.
     */
    public void reset() {
        install(null, false, false);
    }

    // ------------------------------------------------------------------------------------------
    // Timeline operations

    /**
     * Adds timeline point {@code point}, reached once {@code fence} and every earlier point have
     * signalled, the kernel's {@code drm_syncobj_add_point()}. Takes a reference on
     * {@code fence}. If the object holds a plain (binary) fence, the new point also waits for it.
     *
     * @param point the point, above the newest point already added
     * @param fence the fence for this point; not a chain (flatten containers with
     *     {@link Fences#merge})
     * @throws NullPointerException if {@code fence} is null
     * @throws IllegalArgumentException if {@code point} is not positive, is not above the newest
     *     point, or {@code fence} is a {@link FenceChain}
     */
    public void addPoint(long point, Fence fence) {
        Objects.requireNonNull(fence, "fence");
        if (fence instanceof FenceChain) {
            throw new IllegalArgumentException("a timeline point cannot hold a chain link ("
                    + fence.describe() + "); flatten it with Fences.merge");
        }
        checkPoint(point);
        if (point == 0L) {
            throw new IllegalArgumentException("point 0 is the binary payload: use replaceFence");
        }
        // The reference is kept by the chain link for as long as the link exists.
        install(fence, fence.tryRetain(), true, point);
    }

    /**
     * Signals timeline point {@code point} from the host, the kernel's
     * {@code DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL}: adds the point with an already-signalled fence
     * (it is reached once every earlier point is).
     *
     * <p>Point 0 does what the kernel does there, which is not {@link #signal()}: it appends a
     * signalled link that covers what the object already holds, so a wait on point 0 (or on any
     * point already added) waits for the current fence and every earlier point; later points
     * can still be added above the newest one. Until those earlier points signal,
     * {@link #query()} reads 0, as the kernel's does after an out-of-order point. To make the
     * object signalled at once, whatever it held, use {@link #signal()}.
     *
     * @param point the point, 0 or above the newest point
     * @throws IllegalArgumentException if {@code point} is negative, or positive and not above the
     *     newest point
     */
    public void signal(long point) {
        checkPoint(point);
        install(signaledFence(), true, true, point);
    }

    /**
     * The last point reached, the kernel's {@code DRM_IOCTL_SYNCOBJ_QUERY}: the highest point
     * whose fence and all earlier points' fences have signalled; 0 if none has, or if the object
     * holds a binary fence or nothing. Points this class adds are below 2^63; a chain installed
     * from elsewhere may carry larger (unsigned, as in the kernel) seqnos, which read as negative
     * here: compare with {@link Long#compareUnsigned}.
     *
     * <p>Unlike the kernel's, the answer is never a point that is still pending: where the chain
     * crosses into another context (points added over a pending binary fence, or after
     * {@code signal(0)} over pending points) and the links in between were collected, the kernel
     * answers the oldest same-context link's {@code prev_seqno} although that point still waits
     * for the other context; this answers 0 there.
     *
     * @return the last signalled point (unsigned)
     */
    public long query() {
        Fence h = head;
        if (!(h instanceof FenceChain)) {
            return 0L;
        }
        // One walk from the newest link, like the kernel's query. A link covers the points
        // above its prevSeqno up to its seqno. Links between a link and its prev() were
        // collected because their fences signalled, so while walking from a pending link: if its
        // predecessor's chain has signalled (or was collected away: null), every point up to the
        // pending link's prevSeqno is reached; else the predecessor is pending too: move to it.
        FenceChain node = (FenceChain) h;
        if (node.isSignaled()) {
            return node.seqno();
        }
        for (;;) {
            Fence p = node.prev();
            if (p == null) {
                return node.prevSeqno();
            }
            boolean foreign = !(p instanceof FenceChain) || p.context() != h.context();
            if (p.isSignaled()) {
                return node.prevSeqno();
            }
            if (foreign) {
                return 0L; // points up to prevSeqno are p's, and p is pending
            }
            node = (FenceChain) p;
        }
    }

    /**
     * The newest point added ({@code DRM_SYNCOBJ_QUERY_FLAGS_LAST_SUBMITTED}), unsigned as in
     * {@link #query()}.
     *
     * @return the newest point, or 0 if the object holds a binary fence or nothing
     */
    public long lastSubmitted() {
        Fence h = head;
        return h instanceof FenceChain ? h.seqno() : 0L;
    }

    /**
     * The fence that signals when {@code point} is reached, with a new reference for the caller,
     * the kernel's {@code drm_syncobj_find_fence()}. Point 0 returns the current fence.
     *
     * @param point the point
     * @return the fence; an already-signalled fence if the point was reached long ago
     * @throws PointNotSubmittedException if the object has no fence or the point has not been
     *     added yet
     * @throws IllegalArgumentException if {@code point} is negative
     */
    public Fence fenceAt(long point) {
        checkPoint(point);
        Capture c = capture(point);
        if (c == null) {
            throw notSubmitted(point);
        }
        return c.fence;
    }

    /**
     * Moves the fence of {@code src} at {@code srcPoint} into {@code dst} at {@code dstPoint},
     * the kernel's {@code DRM_IOCTL_SYNCOBJ_TRANSFER}. Into a timeline point the fence is first
     * flattened ({@link Fences#merge}), so chains never nest; into point 0 it replaces
     * {@code dst}'s fence. {@code src} and {@code dst} may be the same object.
     *
     * <p>Errors move only with fences that are still pending: the flattening drops the fences
     * that have signalled, failed or not, so a source point whose job has already failed
     * arrives at a timeline point as a success (as with the kernel's merge). Into point 0,
     * {@code dst} gets what {@link #fenceAt} returns, with the error that fence carries (a
     * chain link carries only its own fence's, see {@link FenceChain}).
     *
     * @param src the source object
     * @param srcPoint the source point (0: its current fence)
     * @param dst the destination object
     * @param dstPoint the destination point (0: replace the fence)
     * @throws NullPointerException if {@code src} or {@code dst} is null
     * @throws PointNotSubmittedException if {@code src} has no fence for {@code srcPoint}
     * @throws IllegalArgumentException if a point is negative, or {@code dstPoint} is not above
     *     {@code dst}'s newest point
     */
    public static void transfer(SyncObj src, long srcPoint, SyncObj dst, long dstPoint) {
        Objects.requireNonNull(src, "src");
        Objects.requireNonNull(dst, "dst");
        checkPoint(srcPoint);
        checkPoint(dstPoint);
        Capture c = src.capture(srcPoint);
        if (c == null) {
            throw src.notSubmitted(srcPoint);
        }
        try {
            Fence f = c.fence;
            if (dstPoint == 0L) {
                dst.replaceFence(f);
                return;
            }
            Refs.Merged m = Refs.merge(f);
            Fence merged = m.fence();
            if (m.fresh()) {
                dst.install(merged, true, true, dstPoint); // the birth reference goes to the chain
            } else {
                dst.addPoint(dstPoint, merged);
            }
        } finally {
            if (c.counted) {
                c.fence.release();
            }
        }
    }

    // ------------------------------------------------------------------------------------------
    // Sync files

    /**
     * A sync file holding the fence for {@code point} (point 0: the current fence), the kernel's
     * {@code HANDLE_TO_FD} with {@code EXPORT_SYNC_FILE}. It is a snapshot: later signals, resets
     * or replacements of this object do not change it.
     *
     * @param point the point
     * @return a new sync file
     * @throws PointNotSubmittedException if there is no fence for the point
     * @throws IllegalArgumentException if {@code point} is negative
     */
    public SyncFile exportSyncFile(long point) {
        checkPoint(point);
        Capture c = capture(point);
        if (c == null) {
            throw notSubmitted(point);
        }
        return SyncFile.adopt(null, c.fence, c.counted);
    }

    /**
     * Installs the fence of {@code file}: as the current fence for point 0, else as timeline
     * point {@code point}; the kernel's {@code FD_TO_HANDLE} with {@code IMPORT_SYNC_FILE}. A
     * chain imported into a timeline point is first flattened ({@link Fences#merge}), as
     * {@link #transfer} does, so chains never nest. The file stays open and unchanged. Closing
     * the file in another thread while this runs is a race in the caller: the import either
     * completes (the object holds its own reference) or fails as if the file had been closed
     * first.
     *
     * @param file an open sync file
     * @param point 0, or a point above the newest one
     * @throws NullPointerException if {@code file} is null
     * @throws BadHandleException if {@code file} is closed, or is closed concurrently before the
     *     import has taken its reference on the fence
     * @throws IllegalArgumentException if {@code point} is negative or not above the newest point
     */
    public void importSyncFile(SyncFile file, long point) {
        Objects.requireNonNull(file, "file");
        checkPoint(point);
        Fence f = file.peek();
        // Hold a reference of our own while importing, as the kernel holds the file (fdget) for
        // the ioctl. An open file that counts its reference keeps the count at one or more, so a
        // failed retain means a concurrent close() released the last one (close() clears the
        // file before releasing): the fence is gone and so is the file. A file that never
        // counted (a released member of an uncounted container) stays importable uncounted.
        boolean held = f.tryRetain();
        if (!held && file.isClosed()) {
            throw new BadHandleException("sync file closed concurrently");
        }
        try {
            if (point == 0L) {
                replaceFence(f);
            } else if (f instanceof FenceChain) {
                Refs.Merged m = Refs.merge(f);
                Fence merged = m.fence();
                if (m.fresh()) {
                    install(merged, true, true, point);
                } else {
                    addPoint(point, merged);
                }
            } else {
                addPoint(point, f);
            }
        } finally {
            if (held) {
                f.release();
            }
        }
    }

    // ------------------------------------------------------------------------------------------
    // Notification

    /**
     * Runs {@code action} once when {@code point} signals, or, with {@link #WAIT_AVAILABLE}, once
     * it has a fence (was submitted); the kernel's {@code DRM_IOCTL_SYNCOBJ_EVENTFD}. If that has
     * already happened, {@code action} runs now, in this thread; otherwise it runs in the thread
     * that adds the point or signals the fence. An action that throws is logged.
     *
     * @param point the point (0: the binary fence)
     * @param flags 0 or {@link #WAIT_AVAILABLE}
     * @param action what to run
     * @throws NullPointerException if {@code action} is null
     * @throws IllegalArgumentException if {@code point} is negative or {@code flags} has other bits
     */
    public void onPoint(long point, int flags, Runnable action) {
        Objects.requireNonNull(action, "action");
        checkPoint(point);
        if ((flags & ~WAIT_AVAILABLE) != 0) {
            throw new IllegalArgumentException("onPoint flags may only be WAIT_AVAILABLE: "
                    + Integer.toHexString(flags));
        }
        addWaiter(new Notifier(point, (flags & WAIT_AVAILABLE) != 0, action));
    }

    // ------------------------------------------------------------------------------------------
    // Waiting

    /**
     * Waits on several objects at once, the kernel's {@code DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT}
     * (and {@code SYNCOBJ_WAIT} when every point is 0). Each object {@code objs[i]} is waited on
     * at {@code points[i]}; {@code points} may be {@code null} for all 0 (binary).
     *
     * <p>Without {@link #WAIT_FOR_SUBMIT} or {@link #WAIT_AVAILABLE}, every object must already
     * have a fence for its point, else the call fails at once with
     * {@link PointNotSubmittedException}. With either flag, missing fences are waited for. The
     * fences are captured when the wait starts (or when they are submitted): a later reset or
     * replacement does not change what this wait waits for.
     *
     * @param objs the objects
     * @param points the points, one per object, or {@code null} for all 0
     * @param flags any of {@link #WAIT_ALL}, {@link #WAIT_FOR_SUBMIT}, {@link #WAIT_AVAILABLE}
     * @param timeout how long to wait; 0 only checks (it still enables signalling on the
     *     fences, so a driver that notices completion only then is seen, as in the kernel)
     * @param unit the unit of {@code timeout}
     * @return without {@code WAIT_ALL}, the lowest index of an object that signalled (or became
     *     available); with {@code WAIT_ALL}, 0 once all have; -1 if the timeout elapsed first.
     *     An empty {@code objs} returns 0 at once, as in the kernel.
     * @throws PointNotSubmittedException if an object has no fence for its point and neither
     *     {@code WAIT_FOR_SUBMIT} nor {@code WAIT_AVAILABLE} is given
     * @throws InterruptedException if interrupted while waiting and what was waited for had not
     *     happened (a result that is ready when the interrupt is seen is returned instead)
     * @throws IllegalArgumentException if {@code flags} has unknown bits, {@code timeout} or a
     *     point is negative, or {@code points} has a different length
     * @throws NullPointerException if {@code objs}, an element, or {@code unit} is null
     * @throws IllegalStateException with {@code -Ddev.fence.debug=true}, if the call would block
     *     inside a fence callback, a {@code CallbackDeferral} or a {@link SignallingSection}
     */
    public static int await(SyncObj[] objs, long[] points, int flags, long timeout,
            TimeUnit unit) throws InterruptedException {
        Objects.requireNonNull(objs, "objs");
        Objects.requireNonNull(unit, "unit");
        if ((flags & ~ALL_FLAGS) != 0) {
            throw new IllegalArgumentException("unknown wait flags: 0x"
                    + Integer.toHexString(flags & ~ALL_FLAGS));
        }
        if (timeout < 0) {
            throw new IllegalArgumentException("negative timeout: " + timeout);
        }
        int n = objs.length;
        if (points != null && points.length != n) {
            throw new IllegalArgumentException(points.length + " points for " + n + " objects");
        }
        for (int i = 0; i < n; i++) {
            if (objs[i] == null) {
                throw new NullPointerException("objs[" + i + "]"); // message built only here
            }
            if (points != null) {
                checkPoint(points[i]);
            }
        }
        if (n == 0) {
            return 0;
        }
        long nanos = unit.toNanos(timeout);
        long start = System.nanoTime();
        boolean all = (flags & WAIT_ALL) != 0;
        boolean available = (flags & WAIT_AVAILABLE) != 0;
        boolean forSubmit = available || (flags & WAIT_FOR_SUBMIT) != 0;
        AwaitThread waiter = new AwaitThread(Thread.currentThread());
        Entry[] entries = new Entry[n];
        try {
            // First pass: capture what is there; missing fences are an error unless waited for.
            for (int i = 0; i < n; i++) {
                long p = points == null ? 0L : points[i];
                Entry e = new Entry(waiter, p);
                entries[i] = e;
                Capture c = objs[i].capture(p);
                if (c != null) {
                    e.deliver(c.fence, c.counted);
                } else if (!forSubmit) {
                    throw objs[i].notSubmitted(p);
                }
            }
            int first = -1;
            int done = 0;
            for (int i = 0; i < n; i++) {
                Fence f = entries[i].fence();
                if (f != null && (available || f.isSignaled())) {
                    done++;
                    if (first < 0) {
                        first = i;
                    }
                }
            }
            if (done == n) {
                return all ? 0 : first;
            }
            if (!all && done > 0) {
                return first;
            }
            // Even with timeout 0 the loop below runs once: its addCallback enables signalling,
            // and a driver may only notice completion then (the kernel's wait falls through to
            // the same pass for that reason). A submission cannot arrive within a zero wait, so
            // point waiters are registered only for a real wait.
            if (forSubmit && nanos != 0L) {
                for (int i = 0; i < n; i++) {
                    if (entries[i].fence() == null) {
                        entries[i].obj = objs[i];
                        objs[i].addWaiter(entries[i]);
                    }
                }
            }
            for (;;) {
                waiter.fired = false;
                done = 0;
                for (int i = 0; i < n; i++) {
                    Entry e = entries[i];
                    Fence f = e.fence();
                    if (f == null) {
                        continue;
                    }
                    boolean ready = available || f.isSignaled();
                    if (!ready && !e.callbackQueued) {
                        if (f.addCallback(e)) {
                            e.callbackQueued = true;
                        } else {
                            ready = true;
                        }
                    }
                    if (ready) {
                        if (!all) {
                            return i;
                        }
                        done++;
                    }
                }
                if (done == n) {
                    return 0;
                }
                long left = nanos - (System.nanoTime() - start);
                if (left <= 0L) {
                    return -1;
                }
                // Checked after the scan, before parking, as the kernel checks signal_pending:
                // what became ready before the interrupt is reported, not the interrupt.
                if (Thread.interrupted()) {
                    throw new InterruptedException();
                }
                // About to block: with debug checks on, not inside a callback or signalling
                // section (the kernel asserts no locks are held for WAIT_FOR_SUBMIT).
                SignallingSection.checkMayWait("syncobj wait");
                if (!waiter.fired) {
                    LockSupport.parkNanos(waiter, left);
                }
            }
        } finally {
            for (Entry e : entries) {
                if (e != null) {
                    e.finish();
                }
            }
        }
    }

    // ------------------------------------------------------------------------------------------
    // Internals

    private static void checkPoint(long point) {
        if (point < 0L) {
            throw new IllegalArgumentException("negative point: " + point);
        }
    }

    private PointNotSubmittedException notSubmitted(long point) {
        return new PointNotSubmittedException(point == 0L ? "syncobj has no fence: " + this
                : "point " + point + " not submitted yet on " + this);
    }

    /**
     * The fence for {@code point} on the snapshot {@code h} (not retained), the kernel's
     * find_fence without waiting: null if missing, the signalled stub if collected.
     */
    private Fence find(Fence h, long point) {
        if (!submitted(h, point)) {
            return null;
        }
        return point == 0L ? h : FenceChain.find(h, point);
    }

    /** Whether the snapshot {@code h} has a fence for {@code point}; polls nothing. */
    private static boolean submitted(Fence h, long point) {
        if (h == null) {
            return false;
        }
        // Unsigned, as FenceChain and the kernel's u64 seqnos: a chain installed from elsewhere
        // (replaceFence, importSyncFile) may carry seqnos at or above 2^63.
        return point == 0L
                || h instanceof FenceChain && Long.compareUnsigned(h.seqno(), point) >= 0;
    }

    /**
     * The fence for {@code point} on the current head, with a reference taken. If a concurrent
     * replace released the snapshot's fence to zero before the reference was taken, retries on
     * the new head; a fence that nobody counts (installed at zero) is returned uncounted.
     *
     * @return the capture, or null if the point has no fence
     */
    private Capture capture(long point) {
        return capture(point, false);
    }

    /**
     * {@link #capture(long)}; {@code forDelivery}: for a dequeued waiter, which must not be
     * lost, so a reference count at its limit does not throw (see retainForDelivery).
     */
    private Capture capture(long point, boolean forDelivery) {
        for (;;) {
            Fence h = head;
            Fence f = find(h, point);
            if (f == null) {
                return null;
            }
            if (forDelivery ? retainForDelivery(f) : f.tryRetain()) {
                return new Capture(f, true);
            }
            if (head == h) {
                return new Capture(f, false);
            }
        }
    }

    private void install(Fence fence, boolean counted, boolean asPoint) {
        install(fence, counted, asPoint, 0L);
    }

    /**
     * Publishes a new head: {@code fence} itself, or (asPoint) a new chain link for
     * {@code point} holding {@code fence}. {@code counted}: the caller hands over a counted
     * reference on {@code fence}.
     */
    private void install(Fence fence, boolean counted, boolean asPoint, long point) {
        Fence old = null;
        boolean oldCounted = false;
        Scan scan = null;
        boolean installed = false;
        // Linking and finding poll earlier fences (isSignaled), which may signal a driver's fence
        // here; its callbacks (onPoint actions among them) must not run under the lock, nor
        // before this install is complete.
        CallbackDeferral deferral = CallbackDeferral.begin();
        try {
            for (;;) {
                Fence snap = null;
                FenceChain link = null;
                if (asPoint) {
                    // The new link is made before the lock, on a snapshot of the head, and
                    // published only if the head is still that snapshot: linking polls the
                    // earlier points' fences, and a driver's pollSignaled hook must not run
                    // under this lock (one that takes the driver's lock would deadlock against
                    // the driver's own thread calling in here with that lock held). The
                    // kernel's add_point likewise only initialises the link under its lock.
                    snap = head;
                    checkRising(point, snap);
                    link = FenceChain.link(snap, fence, point);
                }
                lock.lock();
                try {
                    old = head;
                    if (asPoint && old != snap) {
                        // Another writer published meanwhile: link again on its head. The
                        // dropped link was never published (it holds no reference; at most it
                        // moved the chain's sweep position, which only delays a sweep).
                        continue;
                    }
                    oldCounted = headCounted;
                    if (asPoint) {
                        head = link;
                        headCounted = true; // the link's birth reference; old's went into it
                    } else {
                        head = fence;
                        headCounted = counted;
                    }
                    installed = true; // from here on the head owns the reference on fence
                    if (!waiters.isEmpty()) {
                        scan = collectWaiters();
                    }
                    break;
                } finally {
                    lock.unlock();
                }
            }
            if (scan != null) {
                // still inside the deferral: the finding may poll and signal a driver's fence
                scan.findLate();
            }
        } catch (RuntimeException | Error e) {
            if (!installed && counted && fence != null) {
                fence.release();
            }
            throw e;
        } finally {
            deferral.close(); // runs the callbacks held back above, now without the lock
        }
        if (scan != null) {
            scan.deliver();
        }
        if (!asPoint && old != null && oldCounted) {
            old.release();
        }
    }

    /**
     * Points must rise: {@code point} (unless 0, the host signal allowed anywhere, which
     * FenceChain.link gives the newest seqno on a new context) must be above the newest point
     * of {@code h}.
     */
    private static void checkRising(long point, Fence h) {
        if (point != 0L && h instanceof FenceChain
                && Long.compareUnsigned(point, h.seqno()) <= 0) {
            throw new IllegalArgumentException("timeline points must rise: point " + point
                    + " is not above the newest point " + Long.toUnsignedString(h.seqno()));
        }
    }

    /**
     * Under lock: dequeues every waiter whose point is available. Where the point's fence is the
     * head itself (point 0, or a point above the head link's predecessor: always so for the
     * links this object appends, see addPoint), it is captured here; await entries take it at
     * once and are woken. Finding any other point walks the chain and polls the earlier points'
     * fences, and a driver's pollSignaled hook must not run under this lock (see install()), so
     * such waiters (a chain installed from elsewhere, at point 0, over queued waiters for its
     * earlier points) are found after the unlock on this head, which the scan retains.
     *
     * @return what {@link Scan#findLate} and {@link Scan#deliver} complete after the unlock, or
     *     null if nothing
     */
    private Scan collectWaiters() {
        Scan scan = null;
        Fence h = head;
        for (int i = 0; i < waiters.size(); ) {
            PointWaiter w = waiters.get(i);
            if (!submitted(h, w.point)) {
                i++;
                continue;
            }
            waiters.remove(i);
            if (w.point != 0L
                    && Long.compareUnsigned(((FenceChain) h).prevSeqno(), w.point) >= 0) {
                scan = scan != null ? scan : new Scan();
                scan.late(h, w);
                continue;
            }
            boolean counted = retainForDelivery(h); // the point's fence is the head itself
            if (w.deliverUnderLock(h, counted)) {
                // An await entry is woken here: handed over after the unlock, behind onPoint
                // actions that run user code in this thread, it could see its point only after
                // its timeout.
                continue;
            }
            scan = scan != null ? scan : new Scan();
            scan.later(w, h, counted);
        }
        return scan;
    }

    /**
     * A writer's waiter scan, delivered after the unlock: the waiters whose fence was captured
     * under the lock but whose delivery runs user code, and the waiters whose fence is still to
     * be found on the retained head. Only the writing thread.
     */
    private static final class Scan {
        /** (waiter, fence, counted) triples to deliver; made by the first. */
        private List<Object> ready;
        /** Waiters to find on {@link #lateHead}. */
        private List<PointWaiter> late;
        private Fence lateHead;
        private boolean lateCounted;

        void later(PointWaiter w, Fence f, boolean counted) {
            if (ready == null) {
                ready = new ArrayList<>();
            }
            ready.add(w);
            ready.add(f);
            ready.add(counted);
        }

        /** Under the lock: {@code w}'s fence is to be found on head {@code h} after it. */
        void late(Fence h, PointWaiter w) {
            if (late == null) {
                late = new ArrayList<>();
                lateHead = h;
                lateCounted = retainForDelivery(h); // a replace after the unlock may release it
            }
            late.add(w);
        }

        /**
         * After the unlock, before any user code runs (the writer's deferred callbacks, onPoint
         * actions): finds the late waiters' fences; await entries take theirs and are woken.
         */
        void findLate() {
            if (late == null) {
                return;
            }
            try {
                for (PointWaiter w : late) {
                    Fence f = FenceChain.find(lateHead, w.point);
                    boolean counted = retainForDelivery(f);
                    if (!w.deliverUnderLock(f, counted)) {
                        later(w, f, counted);
                    }
                }
            } finally {
                if (lateCounted) {
                    lateHead.release();
                }
            }
        }

        /** Last, with no lock held: delivers to the waiters that run user code. */
        void deliver() {
            if (ready == null) {
                return;
            }
            for (int i = 0; i < ready.size(); i += 3) {
                PointWaiter w = (PointWaiter) ready.get(i);
                Fence f = (Fence) ready.get(i + 1);
                boolean counted = (Boolean) ready.get(i + 2);
                w.deliver(f, counted);
            }
        }
    }

    /**
     * A reference for a waiter's delivery. A dequeued waiter must not be lost, so this does not
     * throw: at the count's limit (about 33 million references on one fence) the fence is
     * delivered uncounted, alive while this object holds it, rather than the waiter lost.
     */
    private static boolean retainForDelivery(Fence f) {
        try {
            return f.tryRetain();
        } catch (IllegalStateException overflow) {
            Diagnostics.warn(LOG,
                    "reference count of {} is full; a syncobj waiter gets it uncounted",
                    Diagnostics.describe(f));
            return false;
        }
    }

    /**
     * Queues {@code w}, or delivers at once if its point is available (re-checked under lock).
     * Whether the point is there is decided under the lock without polling anything; its fence
     * is then found after the unlock, on the current head as {@link #capture} finds it: finding
     * walks the chain and polls the earlier points' fences, and a driver's pollSignaled hook
     * must not run under this lock (see install()).
     */
    private void addWaiter(PointWaiter w) {
        for (;;) {
            lock.lock();
            try {
                if (!submitted(head, w.point)) {
                    waiters.add(w);
                    return;
                }
            } finally {
                lock.unlock();
            }
            Capture c = capture(w.point, true);
            if (c != null) {
                w.deliver(c.fence, c.counted);
                return;
            }
            // reset or replaced by a fence without the point since: register again
        }
    }

    /** Dequeues {@code w} if it is still queued. */
    private void removeWaiter(PointWaiter w) {
        lock.lock();
        try {
            waiters.remove(w);
        } finally {
            lock.unlock();
        }
    }

    /** How many point waiters are queued; for tests. */
    int waiterCount() {
        lock.lock();
        try {
            return waiters.size();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public String toString() {
        Fence h = head;
        if (h == null) {
            return "SyncObj[empty]";
        }
        if (h instanceof FenceChain) {
            return "SyncObj[timeline, last point " + Long.toUnsignedString(h.seqno()) + "]";
        }
        return "SyncObj[" + Diagnostics.describe(h) + "]";
    }

    /**
     * Something waiting for a point to be submitted. Also a FenceCallback, so that await entries
     * can use one node for both roles.
     */
    private abstract static class PointWaiter extends FenceCallback {
        final long point;

        PointWaiter(long point) {
            this.point = point;
        }

        /** Called outside every lock with the point's fence and whether it was retained. */
        abstract void deliver(Fence f, boolean counted);

        /**
         * Called by the writer that publishes the point, before any delivery that runs user
         * code: under the object's lock, or just after it where the point's fence had to be
         * found after the unlock. Takes the fence there if this waiter can without running user
         * code, as the kernel's wait entries do under the syncobj lock.
         *
         * @return true if taken; false to have {@link #deliver} called after the unlock
         */
        boolean deliverUnderLock(Fence f, boolean counted) {
            return false;
        }
    }

    /** The onPoint registration. */
    private static final class Notifier extends PointWaiter {
        private final boolean available;
        private final Runnable action;
        private Fence fence;
        private boolean counted;

        Notifier(long point, boolean available, Runnable action) {
            super(point);
            this.available = available;
            this.action = action;
        }

        @Override
        void deliver(Fence f, boolean counted) {
            if (available) {
                run(f, counted);
                return;
            }
            // Published to onSignaled through the fence's callback-list handoff.
            this.fence = f;
            this.counted = counted;
            if (!f.addCallback(this)) {
                run(f, counted);
            }
        }

        void run(Fence f, boolean counted) {
            try {
                action.run();
            } catch (RuntimeException | Error e) {
                Diagnostics.warn(LOG, "syncobj point {} notification {} threw", point, action, e);
            } finally {
                if (counted) {
                    f.release();
                }
            }
        }

        @Override
        protected void onSignaled(Fence f) {
            run(fence, counted);
        }
    }

    /** The thread an {@link #await} call parks; {@code fired} is set by every event. */
    private static final class AwaitThread {
        final Thread thread;
        volatile boolean fired;

        AwaitThread(Thread thread) {
            this.thread = thread;
        }
    }

    /** A captured fence and whether a reference was taken on it. */
    private static final class Capture {
        final Fence fence;
        final boolean counted;

        Capture(Fence fence, boolean counted) {
            this.fence = fence;
            this.counted = counted;
        }
    }

    /**
     * One object of an {@link #await} call: its submit waiter (queued on the object while the
     * point is missing) and its fence callback (queued on the captured fence), in one node.
     * {@code captured} goes null -> Capture (delivered once, by the first pass or a submitter)
     * -> CLOSED (finish); a delivery that loses to finish releases what it brought.
     */
    private static final class Entry extends PointWaiter {
        private static final Object CLOSED = new Object();
        private static final VarHandle CAPTURED;

        static {
            try {
                CAPTURED = MethodHandles.lookup().findVarHandle(Entry.class, "captured",
                        Object.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        private final AwaitThread waiter;
        /** The object this entry is queued on as a submit waiter; only the waiting thread. */
        SyncObj obj;
        /** Whether this node is queued as a callback on the captured fence; waiting thread. */
        boolean callbackQueued;
        @SuppressWarnings("unused") // accessed through CAPTURED
        private volatile Object captured;

        Entry(AwaitThread waiter, long point) {
            super(point);
            this.waiter = waiter;
        }

        Fence fence() {
            Object c = captured;
            return c instanceof Capture ? ((Capture) c).fence : null;
        }

        @Override
        void deliver(Fence f, boolean counted) {
            if (!deliverUnderLock(f, counted) && counted) {
                f.release();
            }
        }

        /**
         * Takes {@code f} and wakes the waiting thread, unless the wait has finished; runs no
         * user code, so a writer calls it under the object's lock.
         *
         * @return false if the wait has finished: the caller still owns {@code f}'s reference
         */
        @Override
        boolean deliverUnderLock(Fence f, boolean counted) {
            if (!CAPTURED.compareAndSet(this, (Object) null, (Object) new Capture(f, counted))) {
                return false;
            }
            wake();
            return true;
        }

        @Override
        protected void onSignaled(Fence f) {
            wake();
        }

        private void wake() {
            waiter.fired = true;
            LockSupport.unpark(waiter.thread);
        }

        /** Unqueues everything and drops the captured reference; the waiting thread only. */
        void finish() {
            if (obj != null) {
                obj.removeWaiter(this);
            }
            Object c = CAPTURED.getAndSet(this, CLOSED);
            if (c instanceof Capture) {
                Capture cap = (Capture) c;
                if (callbackQueued) {
                    cap.fence.removeCallback(this);
                }
                if (cap.counted) {
                    cap.fence.release();
                }
            }
        }

        @Override
        public String toString() {
            return "SyncObj.await entry for point " + point + " of " + waiter.thread;
        }
    }
}
