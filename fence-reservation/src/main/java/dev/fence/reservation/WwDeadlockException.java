package dev.fence.reservation;

/**
 * Thrown by {@link WwMutex#lock(WwAcquireContext)} and its variants when the calling context must
 * back off to avoid a deadlock, the kernel's {@code -EDEADLK}. The caller must release every lock
 * the context holds, then take the {@linkplain #contended() contended} mutex with
 * {@link WwMutex#lockSlow(WwAcquireContext)} and retry the rest, keeping the same context (and so
 * its stamp, which is what guarantees progress).
 *
 * <p>This is a checked exception on purpose: a back-off that is silently ignored leaves the caller
 * believing it holds a lock it does not, so the compiler makes every call site decide. Back-offs
 * are rare compared with acquisitions, and this exception carries no stack trace and builds its
 * message only when asked, so throwing it is cheap. {@link ExecContext} runs the whole retry
 * loop for callers that do not want to.
 */
public final class WwDeadlockException extends Exception {

    private static final long serialVersionUID = 1L;

    private final transient WwMutex contended;
    private final transient WwAcquireContext context;

    WwDeadlockException(WwMutex contended, WwAcquireContext context) {
        super(null, null, false, false);
        this.contended = contended;
        this.context = context;
    }

    /**
     * Describes the back-off: which context must release its locks and which mutex it must then
     * take with {@link WwMutex#lockSlow(WwAcquireContext)}. Built on each call, not when the
     * exception is thrown, so a back-off allocates nothing beyond the exception itself.
     *
     * @return the message
     */
    @Override
    public String getMessage() {
        return "back off: " + context + " must release its locks and lockSlow " + contended;
    }

    /**
     * The mutex the context failed to take, to be passed to
     * {@link WwMutex#lockSlow(WwAcquireContext)} once every other lock is released.
     *
     * @return the contended mutex (null only after deserialization)
     */
    public WwMutex contended() {
        return contended;
    }

    /**
     * The context that must back off.
     *
     * @return the context (null only after deserialization)
     */
    public WwAcquireContext context() {
        return context;
    }
}
