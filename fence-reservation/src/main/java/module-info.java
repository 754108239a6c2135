/**
 * Multi-object locking and implicit synchronization on top of {@code dev.fence.core}: wound/wait
 * mutexes ({@link dev.fence.reservation.WwMutex}), fence reservations
 * ({@link dev.fence.reservation.Reservation}), the {@link dev.fence.reservation.ExecContext}
 * retry loop and CPU access to shared buffers ({@link dev.fence.reservation.SharedBuffer}).
 */
module dev.fence.reservation {
    requires transitive dev.fence.core;
    requires org.slf4j;

    exports dev.fence.reservation;
}
