/**
 * Implementation details of fence-core: exported only to {@code jdk.jfr} (the JFR events) and to
 * {@code dev.fence.syncfile} and {@code dev.fence.reservation} ({@link
 * dev.fence.core.internal.Diagnostics}). Not API.
 */
package dev.fence.core.internal;
