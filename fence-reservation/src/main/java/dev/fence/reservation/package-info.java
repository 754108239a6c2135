/**
 * Wound/wait mutexes, fence reservations, the multi-object locking loop and CPU access to shared
 * buffers: the Java counterparts of the kernel's {@code ww_mutex}, {@code dma_resv},
 * {@code drm_exec} and {@code dma_buf} implicit synchronization.
 *
 * <p>Start with {@link dev.fence.reservation.ExecContext}: it locks any set of
 * {@link dev.fence.reservation.Reservation}s without deadlock, hiding the back-off and retry that
 * {@link dev.fence.reservation.WwMutex} requires of a hand-written loop.
 */
package dev.fence.reservation;
