package dev.fence.core.internal;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;

/** JFR event committed when a thread had to block waiting for a fence. */
@Name("dev.fence.Wait")
@Label("Fence Wait")
@Category({"fence"})
@Description("A thread blocked waiting for a fence to signal")
public final class FenceWaitEvent extends Event {
    /** Fence context (of the first fence, for multi-fence waits). */
    @Label("Context")
    public long context;

    /** Fence sequence number (of the first fence, for multi-fence waits). */
    @Label("Seqno")
    public long seqno;

    /** Number of fences waited on. */
    @Label("Fences")
    public int fences;

    /** Whether the wait ended because the fence signalled (false: timeout or interrupt). */
    @Label("Signalled")
    public boolean signalled;

    /** Creates an event; JFR fills in timing. */
    public FenceWaitEvent() {
    }
}
