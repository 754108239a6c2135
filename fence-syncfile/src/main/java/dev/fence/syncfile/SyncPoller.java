package dev.fence.syncfile;

import dev.fence.core.Fence;
import dev.fence.core.FenceCallback;
import dev.fence.core.FenceStatus;
import dev.fence.core.Fences;
import dev.fence.core.SignallingSection;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Waits on many {@link SyncFile}s at once, in two forms.
 *
 * <p><b>One-shot, like {@code poll(2)}</b>: the static {@link #poll(long, TimeUnit, SyncFile...)}
 * returns the set of files that are ready (their fence has signalled), waiting up to a timeout
 * for at least one. Each call looks at every file (O(files)): each pending file gets one
 * callback node on its fence for the duration of the call, all sharing one waiter.
 *
 * <pre>{@code
 * BitSet ready = SyncPoller.poll(100, TimeUnit.MILLISECONDS, upload, render, present);
 * for (int i = ready.nextSetBit(0); i >= 0; i = ready.nextSetBit(i + 1)) {
 *     handle(i);
 * }
 * }</pre>
 *
 * <p><b>Registered, like {@code epoll}</b>: an instance from {@link #open()} keeps an interest
 * set. {@link #register(SyncFile, Object)} queues one callback node on the file's fence for as
 * long as the registration lasts; the signal moves the {@link Key} to the poller's ready list, and
 * {@link #select(long, TimeUnit)} only looks at what became ready (O(ready), not O(registered)),
 * so an event loop over thousands of files costs nothing per idle file.
 *
 * <pre>{@code
 * try (SyncPoller poller = SyncPoller.open()) {
 *     for (Frame f : inFlight) {
 *         poller.register(f.renderDone(), f);
 *     }
 *     while (running) {
 *         poller.select(16, TimeUnit.MILLISECONDS);
 *         for (SyncPoller.Key k : poller.readyKeys()) {
 *             present((Frame) k.attachment());
 *             k.cancel();                       // level-triggered: done with it
 *         }
 *     }
 * }
 * }</pre>
 *
 * <p>Readiness is level-triggered in both forms: a file that has signalled is reported by every
 * later poll, and a ready key stays in {@link #readyKeys()} until it is cancelled. An
 * error-signalled fence is ready too (check {@link SyncFile#status()} or {@link Key#status()}).
 *
 * <p>A poller instance is safe for use by many threads, with one rule: one thread at a time
 * selects (a second concurrent {@code select} is an {@link IllegalStateException}, never a
 * hang), and {@link #readyKeys()} belongs to the selecting thread. Registering, cancelling,
 * {@link #wakeup()} and {@link #close()} may come from any thread, including fence callbacks.
 */
public final class SyncPoller implements AutoCloseable {

    /*
     * Implementation overview (the registered form).
     *
     * Each Key holds its own reference on the file's fence (taken as SyncFile.dup() takes it,
     * none for an uncounted fence) and one callback node queued on the fence. State of the
     * poller and who writes it:
     *
     *   readyHead  volatile, a Treiber stack of keys whose fence signalled and that the selecting
     *              thread has not collected yet. Pushed by the signalling thread (the node's
     *              callback; or register() when the fence had signalled already) with a CAS
     *              that publishes Key.nextReady (a plain field written before it); emptied by
     *              the selecting thread with getAndSet(null). Each key is pushed at most once:
     *              the callback runs once, and register() pushes only when addCallback refused.
     *   waiter     volatile, the selecting thread while it may park, else null. Written only by
     *              the selecting thread.
     *   wakeup     volatile boolean, set by wakeup()/close(), cleared by the selecting thread.
     *   selector   the thread inside select(), claimed by CAS so that one thread selects.
     *   ready      ArrayList of keys found ready and not yet cancelled: touched only by the
     *              selecting thread (inside the claim), which also owns Key.listed.
     *   cancels    volatile int, incremented (getAndAdd) by each cancel() after it marked the
     *              key; select() compacts the ready list only when it changed since the last
     *              compaction (selectNow with nothing new costs a few loads). Mark first,
     *              count second: a select that reads the raised count then finds the key
     *              marked when it compacts; counted first, it could record the count as seen,
     *              keep the key, and list it at later selects until the count moves again.
     *              jcstress: SyncPollerTests.CancelVsSelect, PacedCancelVsSelect,
     *              CancelVsPollingSelect (the one that catches the reversed order steadily).
     *   firstKey   the live keys, an intrusive doubly linked list (Key.prevKey/nextKey)
     *   liveKeys   and its length, for close(); all guarded by keysLock. register() links under
     *              the lock only if closed is still false; close() sets closed under the lock
     *              and snapshots the list, so every key is either refused by register() or in the
     *              snapshot. cancel() unlinks under the lock. No user code and no wait runs
     *              under it (close() cancels the snapshot after unlocking), so a fence callback
     *              may cancel. Intrusive, so a registration allocates no set entry.
     *
     * No lost wake-up: the pusher writes readyHead (CAS) and then reads waiter; the selector
     * writes waiter and then reads readyHead (and wakeup). Both pairs are volatile accesses, so
     * in the single total order of synchronization actions at least one side sees the other's
     * write: either the selector sees the key and does not park, or the pusher sees the waiter
     * and unparks it (a permit given before the park makes the park return). wakeup() is the
     * same pair with the flag in place of readyHead: it writes wakeup and then reads waiter.
     * jcstress: SyncPollerTests.SignalVsSelect, WakeupVsSelect, and PacedWakeupVsSelect (the
     * waker paced to meet the selector as it publishes waiter).
     *
     * Cancel: CAS Key.state LIVE -> CANCELLED (once), remove the node, release the fence
     * reference. A key pushed around the same time may still reach the stack or the ready list;
     * the selector drops cancelled keys when it collects and when it compacts (the order of
     * cancel()'s two steps, and its jcstress tests against select: `cancels` above). jcstress
     * for the once-only claim and the single release: SyncPollerTests.CancelVsCancel (two
     * cancels of one key), TimedCancelVsCancel (the same, the second cancel timed to meet the
     * first's claim: the one that catches a non-atomic claim in every fork), CloseVsCancel
     * (close() against a cancel) and CancelVsSignal (a cancel racing the signal that would push
     * the key).
     */

    private static final VarHandle READY_HEAD;
    private static final VarHandle SELECTOR;
    private static final VarHandle KEY_STATE;
    private static final VarHandle CANCELS;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            READY_HEAD = l.findVarHandle(SyncPoller.class, "readyHead", Key.class);
            SELECTOR = l.findVarHandle(SyncPoller.class, "selector", Thread.class);
            KEY_STATE = l.findVarHandle(Key.class, "state", int.class);
            CANCELS = l.findVarHandle(SyncPoller.class, "cancels", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private static final int LIVE = 0;
    private static final int CANCELLED = 1;

    @SuppressWarnings("unused") // accessed through READY_HEAD
    private volatile Key readyHead;
    private volatile Thread waiter;
    private volatile boolean wakeup;
    @SuppressWarnings("unused") // accessed through SELECTOR
    private volatile Thread selector;
    private volatile boolean closed;
    private volatile int cancels;
    private int cancelsSeen;
    private final ArrayList<Key> ready = new ArrayList<>();
    private final List<Key> readyView = Collections.unmodifiableList(ready);
    private final ReentrantLock keysLock = new ReentrantLock();
    private Key firstKey; // guarded by keysLock
    private int liveKeys; // written under keysLock; toString() reads it racily

    private SyncPoller() {
    }

    /**
     * Opens a poller with an empty interest set.
     *
     * @return a new poller; {@link #close()} it to drop every registration
     */
    public static SyncPoller open() {
        return new SyncPoller();
    }

    /**
     * Adds {@code file} to the interest set. The key takes its own reference to the file's fence,
     * so closing the file afterwards does not affect the registration; {@link Key#cancel()}
     * (or {@link #close()}) drops it. Registering the same file twice gives two keys.
     *
     * @param file the file to watch
     * @param attachment any object to find again through {@link Key#attachment()}; may be null
     * @return the key of this registration; already in the next select's ready list if the
     *     fence has signalled (and, if another thread's select listed it meanwhile, possibly
     *     already cancelled by whoever it handed it to)
     * @throws NullPointerException if {@code file} is null
     * @throws BadHandleException if {@code file} is closed
     * @throws IllegalStateException if this poller is closed
     */
    public Key register(SyncFile file, Object attachment) {
        Objects.requireNonNull(file, "file");
        ensureOpen();
        // The key's own reference: it holds the fence (a merged file's array holds its members)
        // as long as the key lives, whatever happens to the caller's file; an uncounted fence
        // stays uncounted, as with dup().
        Fence fence = file.peek();
        Key k = new Key(this, file, fence, file.retainOrClosed(fence), attachment);
        // Queue the node before close() can see the key, so that a cancel by close() always
        // comes after it (cancel removes the node, then drops the reference).
        boolean signalled = !fence.addCallback(k.node);
        if (!signalled) {
            // Ask the driver, as epoll_ctl(ADD) does through sync_file_poll's
            // dma_fence_is_signaled: a fence whose driver reports completion only when polled
            // would otherwise never signal, and the key never turn ready. If it is done, this
            // signals it and the queued node pushes the key. Before link(), so that close()
            // cannot cancel the key (and drop its reference) during the poll. The push can let
            // a select hand the key out, and its owner cancel it, before link(): link() then
            // leaves it out of the live list.
            fence.isSignaled();
        }
        if (!link(k)) { // close() came first: it will not cancel k, so we do
            k.cancel();
            throw new IllegalStateException("poller closed");
        }
        if (signalled) {
            push(k); // the node was not queued, so this is the key's only push
        }
        return k;
    }

    /**
     * Waits until at least one registered file is ready, the timeout elapses, {@link #wakeup()}
     * is called or the poller is closed, then refreshes {@link #readyKeys()}.
     *
     * @param timeout how long to wait; 0 only collects (the same as {@link #selectNow()})
     * @param unit the unit of {@code timeout}
     * @return the number of ready keys (the size of {@link #readyKeys()}); 0 only if the
     *     timeout elapsed, {@link #wakeup()} was called or the poller was closed (keys that became
     *     ready and were cancelled before this call collected them do not end the wait)
     * @throws InterruptedException if interrupted while waiting and nothing was ready (a ready
     *     result wins, with the interrupt status left set)
     * @throws IllegalArgumentException if {@code timeout} is negative
     * @throws NullPointerException if {@code unit} is null
     * @throws IllegalStateException if the poller is closed, or another thread is selecting; with
     *     {@code -Ddev.fence.debug=true}, also if the call would block inside a fence callback, a
     *     {@code CallbackDeferral} or a {@link SignallingSection}
     */
    public int select(long timeout, TimeUnit unit) throws InterruptedException {
        Objects.requireNonNull(unit, "unit");
        if (timeout < 0) {
            throw new IllegalArgumentException("negative timeout: " + timeout);
        }
        Thread me = Thread.currentThread();
        claim(me);
        try {
            collect();
            // A pending wake-up is spent on this select whatever ends it, as a Selector's is.
            boolean woken = takeWakeup();
            if (!ready.isEmpty() || timeout == 0 || woken) {
                return readyCount();
            }
            // About to block: with debug checks on, not inside a callback or signalling section.
            SignallingSection.checkMayWait("SyncPoller.select");
            long deadline = System.nanoTime() + unit.toNanos(timeout);
            int why;
            do {
                // PUSHED can still leave the list empty: the pushed keys were cancelled since
                why = awaitReady(me, deadline);
                collect();
            } while (why == PUSHED && ready.isEmpty());
            takeWakeup(); // one that came while this select was ending was meant for it
            if (why == INTERRUPTED) {
                if (ready.isEmpty()) {
                    throw new InterruptedException();
                }
                me.interrupt(); // keep the status: the caller sees the result and the interrupt
            }
            return readyCount();
        } finally {
            SELECTOR.setRelease(this, (Thread) null);
        }
    }

    /**
     * Collects without waiting: {@code select(0, unit)}. Like
     * {@link java.nio.channels.Selector#selectNow()}, it clears a pending {@link #wakeup()}.
     *
     * @return the number of ready keys
     * @throws IllegalStateException if the poller is closed, or another thread is selecting
     */
    public int selectNow() {
        claim(Thread.currentThread());
        try {
            takeWakeup();
            collect();
            return readyCount();
        } finally {
            SELECTOR.setRelease(this, (Thread) null);
        }
    }

    /**
     * The keys found ready by the last select, oldest signal first, not cancelled at that time.
     * A live, unmodifiable view owned by the selecting thread: it changes only during
     * {@code select}, so read it between selects, in that thread. A key cancelled since the last
     * select is still listed (with {@link Key#isValid()} false) until the next one. Once the
     * poller is closed (which cancels every key) the list is empty.
     *
     * @return the ready keys
     */
    public List<Key> readyKeys() {
        return closed ? List.of() : readyView;
    }

    /**
     * Makes the select in progress, or else the next one, return at once (possibly with 0),
     * like {@link java.nio.channels.Selector#wakeup()}. One wake-up ends one select; a
     * {@link #selectNow()} in between clears it.
     */
    public void wakeup() {
        wakeup = true;
        Thread w = waiter;
        if (w != null) {
            LockSupport.unpark(w);
        }
    }

    /**
     * Whether the poller is open.
     *
     * @return {@code false} once {@link #close()} was called
     */
    public boolean isOpen() {
        return !closed;
    }

    /**
     * Cancels every key and closes the poller: a select in progress returns, later ones throw
     * {@link IllegalStateException}. Idempotent. A call made while another thread's close is
     * still cancelling the keys returns at once, possibly before that thread has released the
     * keys' references, as a second {@link java.nio.channels.Selector#close()} does.
     *
     * @throws IllegalStateException if a key's fence had been released more often than it was
     *     retained (the key's own release fails); every key is cancelled and a select in
     *     progress woken first
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        Key[] live;
        keysLock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true; // under the lock: a register() that links after this cannot exist
            live = new Key[liveKeys];
            int i = 0;
            for (Key k = firstKey; k != null; k = k.nextKey) {
                live[i++] = k;
            }
        } finally {
            keysLock.unlock();
        }
        // Outside the lock: releasing a reference may run a fence's deallocate. A cancel can
        // throw only if someone over-released a key's fence (release() refuses to go below
        // zero); the other keys are cancelled and a select in progress is woken regardless,
        // then the misuse is reported.
        RuntimeException misuse = null;
        for (Key k : live) {
            try {
                k.cancel();
            } catch (RuntimeException e) {
                if (misuse == null) {
                    misuse = e;
                } else {
                    misuse.addSuppressed(e);
                }
            }
        }
        wakeup();
        if (misuse != null) {
            throw misuse;
        }
    }

    @Override
    public String toString() {
        // A racy read of the count, as j.u.c's toString methods read their state: a diagnostic
        // should not wait for keysLock (a debugger may evaluate it while a thread holds it).
        int n = liveKeys;
        return "SyncPoller[" + (closed ? "closed" : n + " keys") + ']';
    }

    // ------------------------------------------------------------------------------------------

    /**
     * Adds {@code k} to the live list unless the poller is closed; false only if closed. A key
     * already cancelled is left out: its node may have pushed it before this call (register asks
     * the driver first), and a select may have listed it for its owner to cancel, whose unlink
     * found nothing to remove. Checked under the lock, after which a cancel's unlink (it follows
     * the state change) finds the key linked.
     */
    private boolean link(Key k) {
        keysLock.lock();
        try {
            if (closed) {
                return false;
            }
            if (!k.isValid()) {
                return true; // cancelled already: nothing to link, and nothing left to cancel
            }
            Key f = firstKey;
            k.nextKey = f;
            if (f != null) {
                f.prevKey = k;
            }
            firstKey = k;
            liveKeys++;
            return true;
        } finally {
            keysLock.unlock();
        }
    }

    /** Removes {@code k} from the live list if it is there (a refused register never was). */
    private void unlink(Key k) {
        keysLock.lock();
        try {
            Key p = k.prevKey;
            if (p == null && firstKey != k) {
                return; // not linked: a linked key is the first or has a predecessor
            }
            Key n = k.nextKey;
            if (p == null) {
                firstKey = n;
            } else {
                p.nextKey = n;
            }
            if (n != null) {
                n.prevKey = p;
            }
            k.prevKey = null;
            k.nextKey = null;
            liveKeys--;
        } finally {
            keysLock.unlock();
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("poller closed");
        }
    }

    private void claim(Thread me) {
        if (!SELECTOR.compareAndSet(this, (Thread) null, me)) {
            throw new IllegalStateException(SELECTOR.getVolatile(this) == me
                    ? "select() re-entered from its own thread"
                    : "another thread is selecting on this poller");
        }
        if (closed) {
            SELECTOR.setRelease(this, (Thread) null);
            throw new IllegalStateException("poller closed");
        }
    }

    /**
     * The size of {@link #readyKeys()}: 0 once closed, also for a select that a push ended while
     * close() was still cancelling the keys it collected.
     */
    private int readyCount() {
        return closed ? 0 : ready.size();
    }

    private boolean takeWakeup() {
        if (wakeup) {
            wakeup = false;
            return true;
        }
        return false;
    }

    private static final int PUSHED = 0;
    private static final int WOKEN = 1;
    private static final int TIMED_OUT = 2;
    private static final int INTERRUPTED = 3;

    /** Parks until a push, a wake-up or close, the deadline, or an interrupt; says which. */
    private int awaitReady(Thread me, long deadline) {
        waiter = me;
        try {
            for (;;) {
                if (READY_HEAD.getVolatile(this) != null) {
                    return PUSHED;
                }
                if (takeWakeup() || closed) {
                    return WOKEN;
                }
                if (Thread.interrupted()) {
                    return INTERRUPTED;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return TIMED_OUT;
                }
                LockSupport.parkNanos(this, left);
            }
        } finally {
            waiter = null;
        }
    }

    /** Called by the signalling thread (or register): publishes {@code k} and wakes the waiter. */
    void push(Key k) {
        Key h;
        do {
            h = (Key) READY_HEAD.getVolatile(this);
            k.nextReady = h;
        } while (!READY_HEAD.compareAndSet(this, h, k));
        Thread w = waiter;
        if (w != null) {
            LockSupport.unpark(w);
        }
    }

    /** Selecting thread only: moves pushed keys to the ready list, drops cancelled ones. */
    private void collect() {
        Key h = (Key) READY_HEAD.getAndSet(this, (Key) null);
        if (h != null) {
            // the stack holds the newest first; append oldest first
            Key rev = null;
            while (h != null) {
                Key n = h.nextReady;
                h.nextReady = rev;
                rev = h;
                h = n;
            }
            for (Key k = rev; k != null;) {
                Key n = k.nextReady;
                k.nextReady = null;
                if (!k.listed && k.isValid()) {
                    k.listed = true;
                    ready.add(k);
                }
                k = n;
            }
        }
        int c = cancels;
        if (c != cancelsSeen) {
            cancelsSeen = c;
            dropCancelled();
        }
    }

    /**
     * Selecting thread only: compacts the ready list in place, keeping the order (not
     * {@code removeIf}, which allocates a bit set whenever it removes something).
     */
    private void dropCancelled() {
        ArrayList<Key> list = ready;
        int n = list.size();
        int kept = 0;
        for (int i = 0; i < n; i++) {
            Key k = list.get(i);
            if (k.isValid()) {
                list.set(kept++, k);
            } else {
                k.listed = false;
            }
        }
        for (int i = n - 1; i >= kept; i--) {
            list.remove(i); // from the end: no copying
        }
    }

    /**
     * One registration of a {@link SyncFile} with a {@link SyncPoller}, like a
     * {@link java.nio.channels.SelectionKey}. Valid until {@link #cancel()} or the poller's
     * {@link SyncPoller#close()}.
     */
    public static final class Key {
        private final SyncPoller poller;
        private final SyncFile file;
        final Fence fence;
        /** Whether the key holds a reference on {@link #fence}, dropped by {@link #cancel()}. */
        private final boolean counted;
        private final Object attachment;
        final Node node;
        @SuppressWarnings("unused") // accessed through KEY_STATE
        private volatile int state;
        Key nextReady; // written before the CAS that pushes this key; read by the selector
        boolean listed; // selecting thread only
        Key prevKey; // the poller's live list: guarded by its keysLock
        Key nextKey;

        Key(SyncPoller poller, SyncFile file, Fence fence, boolean counted, Object attachment) {
            this.poller = poller;
            this.file = file;
            this.fence = fence;
            this.counted = counted;
            this.attachment = attachment;
            this.node = new Node(this);
        }

        /**
         * The registered file (which may have been closed since; the key holds its own
         * reference to the fence).
         *
         * @return the file
         */
        public SyncFile file() {
            return file;
        }

        /**
         * The object given at registration.
         *
         * @return the attachment; may be null
         */
        public Object attachment() {
            return attachment;
        }

        /**
         * The status of the registered fence, readable even if the file was closed.
         *
         * @return pending, signalled or error
         * @throws IllegalStateException if the key was cancelled (its reference was dropped)
         */
        public FenceStatus status() {
            if (!isValid()) {
                throw new IllegalStateException("key cancelled");
            }
            return fence.status();
        }

        /**
         * Whether the registration is still in force.
         *
         * @return {@code false} once cancelled (directly or by closing the poller)
         */
        public boolean isValid() {
            return state == LIVE;
        }

        /**
         * Ends the registration: removes the callback node from the fence and drops the key's
         * reference to it. The key leaves {@link SyncPoller#readyKeys()} at the next select.
         * Idempotent; safe from any thread, including a fence callback.
         */
        public void cancel() {
            if (!KEY_STATE.compareAndSet(this, LIVE, CANCELLED)) {
                return;
            }
            fence.removeCallback(node); // false if it ran (or is running): it only pushes
            poller.unlink(this);
            CANCELS.getAndAdd(poller, 1); // after the state: a selector that sees it sees the state
            if (counted) {
                fence.release(); // the key's reference, exactly once (the CAS above)
            }
        }

        @Override
        public String toString() {
            return "SyncPoller.Key[" + file + (isValid() ? "" : ", cancelled") + ']';
        }
    }

    /** The callback node a key queues on its fence. */
    private static final class Node extends FenceCallback {
        private final Key key;

        Node(Key key) {
            this.key = key;
        }

        @Override
        protected void onSignaled(Fence fence) {
            if (key.isValid()) {
                key.poller.push(key);
            }
        }
    }

    // ------------------------------------------------------------------------------------------
    // The one-shot form
    //
    // poll() first scans (with timeout 0, enabling signalling on each fence first, as poll(2)'s
    // first call does); if something is ready (or the timeout is 0) it returns at once. Else it
    // waits with Fences.awaitAny (one shared waiter, one callback node per fence, all removed
    // before it returns) and scans again, so the result reflects the state after the wait.

    /**
     * Waits until at least one of {@code files} is ready or the timeout elapses.
     *
     * @param timeout how long to wait; 0 only checks (enabling signalling, as poll(2) does)
     * @param unit the unit of {@code timeout}
     * @param files the files to watch (may be empty: returns an empty set at once, unless
     *     interrupted)
     * @return the indexes of the ready files; empty on timeout
     * @throws InterruptedException if the thread was interrupted (before the call or while
     *     waiting) and nothing was ready, whatever the timeout, 0 included; the interrupt status
     *     is then cleared. When something is ready the result is returned and the status stays
     *     set
     * @throws IllegalArgumentException if {@code timeout} is negative
     * @throws NullPointerException if {@code unit}, {@code files} or an element is null
     * @throws BadHandleException if a file is closed
     */
    public static BitSet poll(long timeout, TimeUnit unit, SyncFile... files)
            throws InterruptedException {
        Objects.requireNonNull(unit, "unit");
        Objects.requireNonNull(files, "files");
        if (timeout < 0) {
            throw new IllegalArgumentException("negative timeout: " + timeout);
        }
        BitSet ready = new BitSet(files.length);
        for (int i = 0; i < files.length; i++) {
            SyncFile f = files[i];
            if (f == null) {
                throw new NullPointerException("files[" + i + "]"); // message built only here
            }
            Fence fence = f.peek();
            if (timeout == 0) {
                // poll(2) queues the file's callback on its first call even with timeout 0,
                // which enables signalling: a driver may notice completion only then.
                fence.enableSignaling();
            }
            if (fence.isSignaled()) {
                ready.set(i);
            }
        }
        if (!ready.isEmpty()) {
            return ready; // a ready result wins over an interrupt, whose status stays set
        }
        if (timeout == 0 || files.length == 0) {
            // Nothing to wait for or no time to wait: an interrupt is still reported, as
            // poll(2) reports a pending signal (EINTR) and SyncFile.poll(0, unit) throws.
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
            return ready;
        }
        // Waiting holds a reference on every fence, as poll(2) holds its files and as
        // SyncFile.poll does: a concurrent close() must not drop the last reference under the
        // waiter, which would signal the fence with FenceReleasedException and report the
        // closed file ready although its work never finished.
        Fence[] fences = new Fence[files.length]; // only when waiting
        boolean[] held = new boolean[files.length];
        try {
            for (int i = 0; i < files.length; i++) {
                fences[i] = files[i].peek();
                held[i] = files[i].retainOrClosed(fences[i]);
            }
            // One waiter for all of them: Fences.awaitAny queues one node per fence and removes
            // every node before it returns (throwing InterruptedException only if nothing is
            // ready).
            Fences.awaitAny(timeout, unit, fences);
            return scan(fences);
        } finally {
            for (int i = 0; i < files.length; i++) {
                if (held[i]) {
                    fences[i].release();
                }
            }
        }
    }

    /**
     * Waits until at least one of {@code files} is ready or the timeout elapses.
     *
     * @param timeout how long to wait; 0 only checks (enabling signalling, as poll(2) does)
     * @param unit the unit of {@code timeout}
     * @param files the files to watch
     * @return the indexes (into {@code files}) of the ready files; empty on timeout
     * @throws InterruptedException if the thread was interrupted (before the call or while
     *     waiting) and nothing was ready, whatever the timeout; see
     *     {@link #poll(long, TimeUnit, SyncFile...)}
     * @throws IllegalArgumentException if {@code timeout} is negative
     * @throws NullPointerException if an argument or element is null
     * @throws BadHandleException if a file is closed
     */
    public static BitSet poll(long timeout, TimeUnit unit, List<SyncFile> files)
            throws InterruptedException {
        Objects.requireNonNull(files, "files");
        return poll(timeout, unit, files.toArray(new SyncFile[0]));
    }

    private static BitSet scan(Fence[] fences) {
        BitSet ready = new BitSet(fences.length);
        for (int i = 0; i < fences.length; i++) {
            if (fences[i].isSignaled()) {
                ready.set(i);
            }
        }
        return ready;
    }
}
