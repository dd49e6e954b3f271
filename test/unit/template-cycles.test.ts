import { describe, expect, it } from 'vitest';
import { dependencyCycles, referencesIn } from '../helpers/template-cycles.js';

// The shape serverless.yml used to produce: the role grants invoking the consumer by GetAtt, and the
// consumer runs as the role.
const roleAndConsumer = (resource: unknown) => ({
  IamRoleLambdaExecution: {
    Type: 'AWS::IAM::Role',
    Properties: {
      Policies: [{ PolicyDocument: { Statement: [{ Action: ['lambda:InvokeFunction'], Resource: resource }] } }],
    },
  },
  ConsumerLambdaFunction: {
    Type: 'AWS::Lambda::Function',
    Properties: { Role: { 'Fn::GetAtt': ['IamRoleLambdaExecution', 'Arn'] } },
  },
});

describe('the template dependency walk', () => {
  it('finds the cycle of a role that grants invoking, by GetAtt, a function that runs as that role', () => {
    expect(dependencyCycles(roleAndConsumer({ 'Fn::GetAtt': ['ConsumerLambdaFunction', 'Arn'] }))).toEqual([
      ['IamRoleLambdaExecution', 'ConsumerLambdaFunction', 'IamRoleLambdaExecution'],
    ]);
  });

  it('finds the same cycle through Ref, a dotted GetAtt, Fn::Sub and DependsOn', () => {
    expect(dependencyCycles(roleAndConsumer({ Ref: 'ConsumerLambdaFunction' }))).toHaveLength(1);
    expect(dependencyCycles(roleAndConsumer({ 'Fn::GetAtt': 'ConsumerLambdaFunction.Arn' }))).toHaveLength(1);
    expect(dependencyCycles(roleAndConsumer({ 'Fn::Sub': '${ConsumerLambdaFunction.Arn}:*' }))).toHaveLength(1);
    const dependsOn = {
      ...roleAndConsumer('*'),
      IamRoleLambdaExecution: { Type: 'AWS::IAM::Role', DependsOn: ['ConsumerLambdaFunction'] },
    };
    expect(dependencyCycles(dependsOn)).toHaveLength(1);
  });

  it('accepts the ARN spelled from pseudo parameters and the function name', () => {
    const arn = {
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':lambda:',
          { Ref: 'AWS::Region' },
          ':',
          { Ref: 'AWS::AccountId' },
          ':function:pg-reviewer-prod-consumer',
        ],
      ],
    };
    expect(dependencyCycles(roleAndConsumer(arn))).toEqual([]);
    expect(
      dependencyCycles(
        roleAndConsumer({ 'Fn::Sub': 'arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:x' }),
      ),
    ).toEqual([]);
  });

  it('does not count a Sub variable defined by the Sub itself, or an escaped ${!Name}, as a reference', () => {
    const resources = { Queue: { Type: 'AWS::SQS::Queue' } };
    expect([...referencesIn({ 'Fn::Sub': ['${Queue}/${!Queue}', { Queue: 'literal' }] }, resources)]).toEqual([]);
    expect([
      ...referencesIn({ 'Fn::Sub': ['${Name}', { Name: { 'Fn::GetAtt': ['Queue', 'Arn'] } }] }, resources),
    ]).toEqual(['Queue']);
  });
});
