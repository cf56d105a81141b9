/** One message for people (text) and machines (document) at once. */
export interface Notification {
  /** At most 100 characters; longer subjects are cut. */
  readonly subject: string;
  readonly text: string;
  readonly document: unknown;
  /** Filterable attributes for subscribers (SNS MessageAttributes, strings). */
  readonly attributes: Readonly<Record<string, string>>;
}

export interface NotificationPublisher {
  publish(notification: Notification): Promise<void>;
}
