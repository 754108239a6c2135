/**
 * The dma-fence synchronization model for the JVM: {@link dev.fence.core.Fence}, timelines,
 * fence arrays, chains, and the helpers in {@link dev.fence.core.Fences}.
 */
module dev.fence.core {
    requires org.slf4j;
    requires jdk.jfr;

    exports dev.fence.core;
    // JFR instantiates and instruments the event classes; nobody else may see them.
    exports dev.fence.core.internal to jdk.jfr;
}
