// The subset of API Gateway's HTTP API (payload v2) event and result that handlers use.
export interface APIGatewayProxyEventV2 {
  version?: string;
  routeKey?: string;
  rawPath: string;
  rawQueryString?: string;
  headers?: Record<string, string | undefined>;
  queryStringParameters?: Record<string, string | undefined> | null;
  pathParameters?: Record<string, string | undefined> | null;
  body?: unknown;
  isBase64Encoded?: boolean;
  // authorizer is present when an API Gateway JWT, IAM or Lambda authorizer admitted the request.
  requestContext?: {
    requestId?: string;
    http?: { method?: string; path?: string };
    authorizer?: Record<string, unknown>;
  };
}

export interface APIGatewayProxyResultV2 {
  statusCode: number;
  headers?: Record<string, string>;
  body?: string;
  isBase64Encoded?: boolean;
}
