/**
 * The dma-fence synchronization model for the JVM: {@link dev.fence.core.Fence}, timelines,
 * fence arrays, chains, and the helpers in {@link dev.fence.core.Fences}.
 */
@SuppressWarnings("module") // the qualified exports name libraries built after this one
module dev.fence.core {
    requires org.slf4j;
    requires jdk.jfr;

    exports dev.fence.core;
    // JFR instantiates and instruments the event classes; the other two libraries share the
    // never-failing diagnostics. Nobody else may see them.
    exports dev.fence.core.internal to jdk.jfr, dev.fence.syncfile, dev.fence.reservation;
}
