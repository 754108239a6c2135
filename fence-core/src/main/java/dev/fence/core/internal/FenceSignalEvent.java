package dev.fence.core.internal;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/** JFR event committed when a fence signals; its duration covers running the callbacks. */
@Name("dev.fence.Signal")
@Label("Fence Signal")
@Category({"fence"})
@Description("A fence went from pending to signalled; the duration covers its callbacks")
@StackTrace(false)
public final class FenceSignalEvent extends Event {
    /** Fence context. */
    @Label("Context")
    public long context;

    /** Fence sequence number. */
    @Label("Seqno")
    public long seqno;

    /** Whether the fence signalled with an error. */
    @Label("Error")
    public boolean error;

    /** Number of callbacks (including waiters) that ran. */
    @Label("Callbacks")
    public int callbacks;

    /** Creates an event; JFR fills in timing. */
    public FenceSignalEvent() {
    }
}
